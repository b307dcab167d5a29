#!/usr/bin/env bash
# The two entry points of the README: `./run.sh demo` and `./run.sh test`.
# Anything else is passed to the mmgen CLI (`./run.sh train config.yaml`).
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure.sh
case "${1:-demo}" in
  test) shift; exec npm test -- "$@" ;;
  bench) shift; exec npm run bench -- "$@" ;;
  *) exec node bin/mmgen.js "$@" ;;
esac
