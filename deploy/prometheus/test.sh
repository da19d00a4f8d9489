#!/usr/bin/env bash
# Checks the alert rules with promtool: `promtool check rules` (syntax, PromQL, templates) and
# `promtool test rules` (the unit tests in telediag.rules.test.yaml). promtool is the one of
# Debian's prometheus package, beside the prometheus that test/e2e/setup.sh installs or finds
# (and caches), so this works on a fresh machine.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

exports=$(bash "$root/test/e2e/setup.sh")
eval "$exports"
promtool=$(dirname "$TELEDIAG_PROMETHEUS")/promtool
if [ ! -x "$promtool" ]; then
	promtool=$(command -v promtool) || {
		echo "deploy/prometheus/test.sh: no promtool beside $TELEDIAG_PROMETHEUS nor on PATH" >&2
		exit 1
	}
fi
"$promtool" --version 2>&1 | head -n 1
cd "$here"
"$promtool" check rules telediag.rules.yaml
"$promtool" test rules telediag.rules.test.yaml
