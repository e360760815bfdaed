#!/usr/bin/env bash
# Builds the WASM package into wasm/pkg/huiqi (npm layout: node/ and web/ builds, the
# TypeScript declarations, package.json, README) and copies the web build to wasm/www/pkg
# for the demo page. Needs scripts/install-wasm-toolchain first (it writes the build's
# environment). Prints the .wasm size, raw and gzipped, and writes it to pkg/size.json.
#   wasm/build.sh            release build (opt-level z with s's inlining, LTO, wasm-opt -Oz)
#   WASM_OPT=0 wasm/build.sh skip wasm-opt (faster; bigger and slower .wasm)
set -euo pipefail
cd "$(dirname "$0")"
WASM=$PWD
ROOT=$(cd .. && pwd)
ENV_FILE=$ROOT/target/wasm-toolchain.env
[ -f "$ENV_FILE" ] || { echo "build.sh: run scripts/install-wasm-toolchain first" >&2; exit 1; }
# shellcheck disable=SC1090
. "$ENV_FILE"
export PATH="$HOME/.cargo/bin:$PATH"

# Size profile for the wasm build only (the workspace's own profiles stay as they are):
# opt-level z, but with opt-level s's inlining threshold (75; z's is 5) — 6 % smaller than
# s and about as fast (wasm/README.md, Size); source paths shortened in panic locations.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=${CARGO_PROFILE_RELEASE_OPT_LEVEL:-z}
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-"-C llvm-args=-inline-threshold=75 --remap-path-prefix=$HOME/.cargo/registry/src=/cargo --remap-path-prefix=$HOME/.rustup=/rustup --remap-path-prefix=$ROOT=/huiqi"}
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_PANIC=abort
export CARGO_PROFILE_RELEASE_DEBUG=false

echo "==> cargo build huiqi-wasm (wasm32-unknown-unknown, route $HUIQI_WASM_ROUTE, opt-level $CARGO_PROFILE_RELEASE_OPT_LEVEL, $CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS)"
(cd "$ROOT" && env "${WASM_CARGO_ENV[@]}" CARGO_TARGET_DIR="$WASM_TARGET_DIR" \
  "$WASM_CARGO" build --release --lib -p huiqi-wasm --target wasm32-unknown-unknown "${WASM_CARGO_ARGS[@]}")
RAW=$WASM_TARGET_DIR/wasm32-unknown-unknown/release/huiqi_wasm.wasm

PKG=$WASM/pkg/huiqi
rm -rf "$PKG"
mkdir -p "$PKG"
echo "==> wasm-bindgen ($("$WASM_BINDGEN" --version)): nodejs and web"
"$WASM_BINDGEN" --target nodejs --out-dir "$PKG/node" "$RAW"
"$WASM_BINDGEN" --target web --out-dir "$PKG/web" "$RAW"
node "$WASM/tools/patch-glue.mjs" "$PKG/node/huiqi_wasm.js" "$PKG/web/huiqi_wasm.js"

if [ "${WASM_OPT:-1}" != 0 ]; then
  echo "==> wasm-opt -Oz ($("$WASM/node_modules/.bin/wasm-opt" --version))"
  features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)
  "$WASM/node_modules/.bin/wasm-opt" -Oz "${features[@]}" "$PKG/node/huiqi_wasm_bg.wasm" -o "$PKG/node/huiqi_wasm_bg.opt.wasm"
  # Both targets usually get the same module: optimise it once.
  if cmp -s "$PKG/node/huiqi_wasm_bg.wasm" "$PKG/web/huiqi_wasm_bg.wasm"; then
    cp "$PKG/node/huiqi_wasm_bg.opt.wasm" "$PKG/web/huiqi_wasm_bg.wasm"
  else
    "$WASM/node_modules/.bin/wasm-opt" -Oz "${features[@]}" "$PKG/web/huiqi_wasm_bg.wasm" -o "$PKG/web/huiqi_wasm_bg.wasm"
  fi
  mv "$PKG/node/huiqi_wasm_bg.opt.wasm" "$PKG/node/huiqi_wasm_bg.wasm"
fi

# The web build is ES modules; the node build CommonJS (the package's default).
echo '{"type": "module"}' > "$PKG/web/package.json"
rm -f "$PKG"/*/.gitignore
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -1)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" "$WASM/npm/package.json" > "$PKG/package.json"
cp "$WASM/npm/README.md" "$PKG/README.md"

# The demo page serves the web build from www/pkg.
mkdir -p "$WASM/www"
rm -rf "$WASM/www/pkg"
cp -r "$PKG/web" "$WASM/www/pkg"
# … the bundled policies saved natively with their syntax trees (the page starts from it) …
echo "==> huiqi compile: the bundled set saved for the page (www/policies.hqset)"
(cd "$ROOT" && cargo build --release -q -p huiqi-cli)
"$ROOT/target/release/huiqi" compile --out "$WASM/www/policies.hqset"
# … and the synthetic sample enterprises from data/enterprises.
rm -rf "$WASM/www/samples"
mkdir -p "$WASM/www/samples"
cp "$ROOT"/data/enterprises/*.json "$WASM/www/samples/"
node -e '
  const fs = require("fs"), dir = process.argv[1];
  const list = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()
    .map((file) => ({ file, name: JSON.parse(fs.readFileSync(dir + "/" + file, "utf8")).name ?? file }));
  fs.writeFileSync(dir + "/index.json", JSON.stringify(list, null, 1));
' "$WASM/www/samples"

bytes=$(stat -c %s "$PKG/web/huiqi_wasm_bg.wasm")
gz=$(gzip -9 -c "$PKG/web/huiqi_wasm_bg.wasm" | wc -c)
printf '{"wasm_bytes": %d, "wasm_gzip_bytes": %d}\n' "$bytes" "$gz" > "$WASM/pkg/size.json"
echo "==> $PKG: huiqi_wasm_bg.wasm $((bytes / 1024)) KiB, gzipped $((gz / 1024)) KiB"
