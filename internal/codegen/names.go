package codegen

import (
	"strings"
	"unicode"

	"github.com/telediag/telediag/internal/catalog"
)

// acronyms are written in capitals in Go identifiers, as golint wants.
var acronyms = map[string]string{
	"api": "API", "cpu": "CPU", "db": "DB", "gc": "GC", "gcs": "GCS", "http": "HTTP",
	"id": "ID", "os": "OS", "ssh": "SSH", "tls": "TLS", "ttl": "TTL", "url": "URL",
}

// exportedName turns a snake_case name into an exported Go identifier:
// backend_read_seconds → BackendReadSeconds, gcs_event_storage_uploads → GCSEventStorageUploads.
func exportedName(s string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if a, ok := acronyms[strings.ToLower(word)]; ok {
			b.WriteString(a)
			continue
		}
		r := []rune(word)
		b.WriteString(strings.ToUpper(string(r[:1])) + string(r[1:]))
	}
	out := b.String()
	if out == "" || !unicode.IsLetter([]rune(out)[0]) {
		out = "X" + out
	}
	return out
}

// lowerCamel turns a label ID into an unexported Go identifier: cache_component →
// cacheComponent, gcs_bucket → gcsBucket. paramNames keeps it clear of keywords and of what the
// generated code declares.
func lowerCamel(id string) string {
	e := exportedName(id)
	// Lower the leading run of capitals, keeping the last one when a word follows
	// (GCSEvent → gcsEvent), as Go style does.
	r := []rune(e)
	i := 0
	for i < len(r) && unicode.IsUpper(r[i]) {
		i++
	}
	switch {
	case i == len(r):
		return strings.ToLower(e)
	case i > 1:
		return strings.ToLower(string(r[:i-1])) + string(r[i-1:])
	default:
		return strings.ToLower(string(r[:1])) + string(r[1:])
	}
}

// enumTypeName is the Go type of an enum label: resource_type → ResourceTypeAttr.
func enumTypeName(l *catalog.Label) string { return exportedName(l.ID) + "Attr" }

// enumConstName is the Go constant of one enum value: (resource_type, db_service) → ResourceTypeDBService.
func enumConstName(l *catalog.Label, value string) string {
	return exportedName(l.ID) + exportedName(value)
}
