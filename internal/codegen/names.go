package codegen

import (
	"go/token"
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

// paramName turns a label ID into an unexported Go parameter name that is not a keyword:
// cache_component → cacheComponent.
func paramName(id string) string {
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
		e = strings.ToLower(e)
	case i > 1:
		e = strings.ToLower(string(r[:i-1])) + string(r[i-1:])
	default:
		e = strings.ToLower(string(r[:1])) + string(r[1:])
	}
	if token.IsKeyword(e) || predeclared[e] {
		e += "Value"
	}
	return e
}

// predeclared names would shadow builtins used by the generated code.
var predeclared = map[string]bool{"ctx": true, "incr": true, "val": true, "m": true, "b": true, "o": true, "fn": true, "string": true, "int64": true, "float64": true, "error": true}

// enumTypeName is the Go type of an enum label: resource_type → ResourceTypeAttr.
func enumTypeName(l *catalog.Label) string { return exportedName(l.ID) + "Attr" }

// enumConstName is the Go constant of one enum value: (resource_type, db_service) → ResourceTypeDBService.
func enumConstName(l *catalog.Label, value string) string {
	return exportedName(l.ID) + exportedName(value)
}
