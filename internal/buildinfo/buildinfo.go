// Package buildinfo reads what the Go toolchain stamped into the running binary: the main
// module's version and the VCS revision it was built from.
package buildinfo

import "runtime/debug"

// Read returns the main module's version and the VCS revision, "-dirty" appended when the
// tree had uncommitted changes; each is "unknown" when the binary does not say.
func Read() (version, revision string) {
	version, revision = "unknown", "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, revision
	}
	if v := info.Main.Version; v != "" {
		version = v
	}
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && revision != "unknown" {
		revision += "-dirty"
	}
	return version, revision
}
