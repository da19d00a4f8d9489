#!/usr/bin/env bash
# Installs the real peers the e2e tests run against:
#   - Prometheus, from Debian's package (apt), unless `prometheus` is on PATH;
#   - Chromium, from Debian's package (apt), unless `chromium` is on PATH, for
#     the status page's browser test (headless; it loads 127.0.0.1 pages only);
#   - an OpenTelemetry Collector built with the OTel Collector Builder (ocb)
#     from the manifest test/e2e/otelcol/builder-config.yaml.
#
# Idempotent. The builder and the collector binary are cached in
#   ${TELEDIAG_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/telediag-e2e}
# keyed by the sha256 of the manifest, the builder version and the Go version,
# so a second run does nothing and a manifest change rebuilds. The Debian
# packages stay installed, so a second run finds them on PATH and skips apt.
#
# Progress goes to stderr, one line per step. stdout gets only export lines,
# so `eval "$(bash test/e2e/setup.sh)"` sets TELEDIAG_OTELCOL,
# TELEDIAG_PROMETHEUS and TELEDIAG_CHROMIUM; the same lines are written to
# "$cache/e2e.env".
set -euo pipefail

BUILDER_MODULE=go.opentelemetry.io/collector/cmd/builder
BUILDER_VERSION=v0.155.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest=$here/otelcol/builder-config.yaml
cache=${TELEDIAG_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/telediag-e2e}

log() { printf 'e2e-setup: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# stop_system_prometheus makes sure the distribution's service is not left
# running (it would hold :9090). The tests start their own prometheus on a
# free port, so this is about not leaving a stray daemon behind.
stop_system_prometheus() {
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		if systemctl is-active --quiet prometheus.service 2>/dev/null ||
			systemctl is-enabled --quiet prometheus.service 2>/dev/null; then
			log "prometheus: disabling the system service (systemctl disable --now prometheus)"
			as_root systemctl disable --now prometheus.service >/dev/null 2>&1 || true
		fi
	elif [ -x /etc/init.d/prometheus ]; then
		if /etc/init.d/prometheus status >/dev/null 2>&1; then
			log "prometheus: stopping the system service (/etc/init.d/prometheus stop)"
			as_root /etc/init.d/prometheus stop >/dev/null 2>&1 || true
		fi
		if command -v update-rc.d >/dev/null 2>&1; then
			as_root update-rc.d prometheus disable >/dev/null 2>&1 || true
		fi
	fi
	# Whatever is left on :9090 is not ours to kill; say so.
	if (exec 3<>/dev/tcp/127.0.0.1/9090) 2>/dev/null; then
		log "prometheus: WARNING something still listens on 127.0.0.1:9090 (the tests use free ports, so they do not care)"
	fi
}

install_prometheus() {
	if command -v prometheus >/dev/null 2>&1; then
		log "prometheus: found $(command -v prometheus)"
	else
		command -v apt-get >/dev/null 2>&1 || die "prometheus is not on PATH and there is no apt-get to install it"
		log "prometheus: apt-get install --no-install-recommends prometheus (Debian package)"
		# Keep the package's postinst from starting the daemon: the standard
		# Debian switch is a policy-rc.d that exits 101. Only add one (and
		# remove it again) if the machine does not already have one.
		local added_policy=
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			as_root sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
			added_policy=1
		fi
		local rc=0 apt_log=$cache/apt.log
		{
			as_root apt-get update -qq &&
				as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
		} >"$apt_log" 2>&1 || rc=$?
		if [ -n "$added_policy" ]; then
			as_root rm -f /usr/sbin/policy-rc.d
		fi
		if [ "$rc" -ne 0 ]; then
			tail -n 20 "$apt_log" >&2 || true
			die "apt-get install prometheus failed (exit $rc); log in $apt_log"
		fi
		command -v prometheus >/dev/null 2>&1 || die "prometheus installed but not on PATH"
	fi
	stop_system_prometheus
	local v
	v=$(prometheus --version 2>&1) || die "prometheus --version failed: $v"
	log "prometheus: ${v%%$'\n'*}"
	PROMETHEUS_BIN=$(command -v prometheus)
}

# install_chromium finds Debian's Chromium or installs it. Only the browser:
# --no-install-recommends leaves out chromium-sandbox (the tests run it with
# --no-sandbox, as root must) and the other recommends; the fonts it renders
# with come with its dependencies.
install_chromium() {
	if command -v chromium >/dev/null 2>&1; then
		log "chromium: found $(command -v chromium)"
	else
		command -v apt-get >/dev/null 2>&1 || die "chromium is not on PATH and there is no apt-get to install it"
		local start=$SECONDS rc=0 apt_log=$cache/apt-chromium.log
		log "chromium: apt-get install --no-install-recommends chromium (Debian package; cold: about a minute)"
		{
			as_root apt-get update -qq &&
				as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
		} >"$apt_log" 2>&1 || rc=$?
		if [ "$rc" -ne 0 ]; then
			tail -n 20 "$apt_log" >&2 || true
			die "apt-get install chromium failed (exit $rc); log in $apt_log"
		fi
		command -v chromium >/dev/null 2>&1 || die "chromium installed but not on PATH"
		log "chromium: installed in $((SECONDS - start))s"
	fi
	local v
	v=$(chromium --version 2>&1) || die "chromium --version failed: $v"
	# Debian's launcher script may print shell warnings before the version line.
	log "chromium: $(grep -m1 '^Chromium' <<<"$v" || echo "${v%%$'\n'*}")"
	CHROMIUM_BIN=$(command -v chromium)
}

build_otelcol() {
	command -v go >/dev/null 2>&1 || die "go is not on PATH"
	[ -f "$manifest" ] || die "manifest not found: $manifest"
	local gover key dir bin
	gover=$(go env GOVERSION)
	key=$({
		cat "$manifest"
		echo "builder $BUILDER_MODULE@$BUILDER_VERSION"
		echo "go $gover $(go env GOOS)/$(go env GOARCH)"
	} | sha256sum | cut -c1-16)
	dir=$cache/otelcol/$key
	bin=$dir/build/otelcol-telediag

	if [ -x "$bin" ]; then
		log "otelcol: cached $bin (key $key)"
	else
		local start=$SECONDS
		local builder_dir=$cache/builder/$BUILDER_VERSION-$gover
		local builder=$builder_dir/builder
		if [ -x "$builder" ]; then
			log "builder: cached $builder"
		else
			log "builder: go install $BUILDER_MODULE@$BUILDER_VERSION -> $builder_dir"
			mkdir -p "$builder_dir"
			if ! (cd "$cache" && GOBIN=$builder_dir GOFLAGS=-buildvcs=false go install "$BUILDER_MODULE@$BUILDER_VERSION") >"$cache/builder-install.log" 2>&1; then
				tail -n 20 "$cache/builder-install.log" >&2 || true
				die "go install $BUILDER_MODULE@$BUILDER_VERSION failed; log in $cache/builder-install.log"
			fi
		fi

		# Build in a scratch dir and rename it into place only on success,
		# so an interrupted build never looks cached.
		local work=$dir.tmp
		rm -rf "$work"
		mkdir -p "$work/tmp"
		cp "$manifest" "$work/builder-config.yaml"
		log "otelcol: building with ocb $BUILDER_VERSION in $work (cold: several minutes; log: $work/build.log)"
		if ! (cd "$work" && TMPDIR=$work/tmp GOFLAGS=-buildvcs=false "$builder" --config=builder-config.yaml >build.log 2>&1); then
			tail -n 40 "$work/build.log" >&2 || true
			die "ocb build failed; full log in $work/build.log"
		fi
		[ -x "$work/build/otelcol-telediag" ] || die "ocb finished but $work/build/otelcol-telediag is missing"
		rm -rf "$work/tmp" "$dir"
		mv "$work" "$dir"
		# Drop builds for older manifests/Go versions and older builders.
		local d
		for d in "$cache"/otelcol/*; do
			[ "$d" = "$dir" ] || rm -rf "$d"
		done
		for d in "$cache"/builder/*; do
			[ "$d" = "$builder_dir" ] || rm -rf "$d"
		done
		log "otelcol: built $bin in $((SECONDS - start))s"
	fi
	local v
	v=$("$bin" --version 2>&1) || die "$bin --version failed: $v"
	log "otelcol: ${v%%$'\n'*}"
	OTELCOL_BIN=$bin
}

mkdir -p "$cache"
log "cache: $cache"
# Serialise concurrent runs that share the cache.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
fi

install_prometheus
install_chromium
build_otelcol

env_file=$cache/e2e.env
{
	printf 'export TELEDIAG_OTELCOL=%q\n' "$OTELCOL_BIN"
	printf 'export TELEDIAG_PROMETHEUS=%q\n' "$PROMETHEUS_BIN"
	printf 'export TELEDIAG_CHROMIUM=%q\n' "$CHROMIUM_BIN"
} >"$env_file.tmp"
mv "$env_file.tmp" "$env_file"
log "env: wrote $env_file ($(du -sh "$cache" 2>/dev/null | cut -f1) in cache)"
cat "$env_file"
