#!/usr/bin/env bash
# Create (or complete) the project's virtual environment in .venv, idempotently.
#
# The install order matters (see docs/get_started.md):
#   1. torch 2.13.0 (a CPU build is on this machine's disk; plain `torch` would pull a CUDA build);
#   2. setuptools>=77.0.3,<81 (torch 2.13 needs >=77.0.3; >=81 drops pkg_resources, which mmcv's setup.py uses),
#      wheel and ninja;
#   3. mmcv 2.1.0 compiled with its ops, without build isolation so it builds against the torch above
#      (about 9-10 minutes on 2 cores the first time; pip caches the wheel, so later runs take seconds:
#      never pass --no-cache-dir here);
#   4. everything else from requirements.txt, then this package in editable mode.
# A stamp file records the hash of requirements.txt and setup.py: when they have not changed and the
# stamp exists, the script does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
STAMP="$VENV/.uda_toolbox_env_complete"
want=$(cat requirements.txt setup.py tools/setup_env.sh | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
echo "[setup_env] preparing $VENV (first time: about 10 minutes for the mmcv build)"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install "torch==2.13.0"
"${pip[@]}" install "setuptools>=77.0.3,<81" wheel ninja
if ! "$VENV/bin/python" -c "import mmcv, mmcv.ops" >/dev/null 2>&1; then
  echo "[setup_env] installing mmcv 2.1.0 with compiled ops (uses pip's wheel cache when present)"
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} "${pip[@]}" install --no-build-isolation "mmcv==2.1.0"
fi
"${pip[@]}" install -r requirements.txt
"${pip[@]}" install --no-build-isolation --no-deps -e .
"$VENV/bin/python" -c "import torch, mmcv, mmcv.ops, mmengine, mmseg, uda_toolbox" \
  || { echo "[setup_env] the environment does not import; see the errors above" >&2; exit 1; }
echo "$want" > "$STAMP"
echo "[setup_env] environment ready in $VENV"
