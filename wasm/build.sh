#!/usr/bin/env bash
# Builds the WASM package into wasm/pkg/huiqi (npm layout: node/ and web/ builds, the
# TypeScript declarations, package.json, README) and copies the web build to wasm/www/pkg
# for the demo page. Needs scripts/install-wasm-toolchain first (it writes the build's
# environment). Prints the .wasm size, raw and gzipped, and writes it to pkg/size.json.
#   wasm/build.sh            release build: web/ and studio/ for size (opt-level z, LTO,
#                            std built with them, wasm-opt -O1), node/ for speed (opt-level 3)
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

# Size profile for the wasm builds only, given to their cargo commands and not exported (the
# native CLI built below keeps the workspace's release profile: exported, these rebuilt it
# with LTO in minutes, and the next native build undid that): opt-level z, LTO, one codegen
# unit, panic=abort; source paths shortened in panic locations. Each module has a target
# dir of its own, since other flags would rebuild the others' each time.
OPT_LEVEL=${CARGO_PROFILE_RELEASE_OPT_LEVEL:-z}
REMAP="--remap-path-prefix=$HOME/.cargo/registry/src=/cargo --remap-path-prefix=$HOME/.rustup=/rustup --remap-path-prefix=$ROOT=/huiqi"
WASM_PROFILE=(CARGO_PROFILE_RELEASE_LTO=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_PANIC=abort CARGO_PROFILE_RELEASE_DEBUG=false)
# Where the route has Rust's sources (install-wasm-toolchain writes these): std is built
# with the module, for size (`optimize_for_size`) and with `panic=immediate-abort`, so
# that no panic message, location or formatting code is linked (a panic traps; the
# patched glue logs it and gives the next call a fresh instance). 469 -> 443 KB gzipped
# on the calculator's module (wasm/README.md, Size).
[ -n "${WASM_SIZE_ENV+set}" ] || WASM_SIZE_ENV=()
[ -n "${WASM_SIZE_ARGS+set}" ] || WASM_SIZE_ARGS=()
WASM_SIZE_RUSTFLAGS=${WASM_SIZE_RUSTFLAGS:-}
TRAPS=()
[ -z "$WASM_SIZE_RUSTFLAGS" ] || TRAPS=(--traps)

# wasm_build DIR INLINE_THRESHOLD CARGO_ARGS...: the size-built module, into DIR.
wasm_build() {
  local dir=$1 threshold=$2
  shift 2
  local flags="-C llvm-args=-inline-threshold=$threshold $WASM_SIZE_RUSTFLAGS $REMAP"
  echo "==> cargo build huiqi-wasm $* (wasm32, route $HUIQI_WASM_ROUTE, opt-level $OPT_LEVEL, inline threshold $threshold${WASM_SIZE_RUSTFLAGS:+, std built with it})"
  (cd "$ROOT" && env "${WASM_CARGO_ENV[@]}" "${WASM_SIZE_ENV[@]}" "${WASM_PROFILE[@]}" CARGO_PROFILE_RELEASE_OPT_LEVEL="$OPT_LEVEL" \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$flags" CARGO_TARGET_DIR="$dir" \
    "$WASM_CARGO" build --release --lib -p huiqi-wasm --target wasm32-unknown-unknown "${WASM_CARGO_ARGS[@]}" "${WASM_SIZE_ARGS[@]}" "$@")
}

# The calculator's module (web/): answers and condition checks, no stores and no workbench
# operations, for size: inline threshold 25 (opt-level z's own; s's 75 is 6 % larger and
# 10-40 % faster on a call of about a millisecond, which a calculator does not feel).
WEB_DIR=$WASM_TARGET_DIR/wasm-web
wasm_build "$WEB_DIR" 25

PKG=$WASM/pkg/huiqi
rm -rf "$PKG"
mkdir -p "$PKG"
echo "==> wasm-bindgen ($("$WASM_BINDGEN" --version)): web"
"$WASM_BINDGEN" --target web --out-dir "$PKG/web" "$WEB_DIR/wasm32-unknown-unknown/release/huiqi_wasm.wasm"
node "$WASM/tools/patch-glue.mjs" "${TRAPS[@]}" "$PKG/web/huiqi_wasm.js"

# Node's module is built for speed, not size: opt-level 3 with its own inlining, with the
# workbench, in a target dir of its own. A page pays for every byte it downloads; Node loads
# the module from disk once. On the compact verdicts this module is 1.7-1.9x native against
# 2.6-3.0x for a size-built one, and about 600 KB gzipped (wasm/README.md, Speed). Its std
# is rustup's, with panic messages: the panic hook logs them.
echo "==> cargo build huiqi-wasm for Node (opt-level 3, --features workbench)"
NODE_TARGET_DIR=$WASM_TARGET_DIR/wasm-node
(cd "$ROOT" && env "${WASM_CARGO_ENV[@]}" "${WASM_PROFILE[@]}" CARGO_TARGET_DIR="$NODE_TARGET_DIR" CARGO_PROFILE_RELEASE_OPT_LEVEL=3 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$REMAP" \
  "$WASM_CARGO" build --release --lib -p huiqi-wasm --features workbench --target wasm32-unknown-unknown "${WASM_CARGO_ARGS[@]}")
echo "==> wasm-bindgen: nodejs"
"$WASM_BINDGEN" --target nodejs --out-dir "$PKG/node" "$NODE_TARGET_DIR/wasm32-unknown-unknown/release/huiqi_wasm.wasm"
node "$WASM/tools/patch-glue.mjs" "$PKG/node/huiqi_wasm.js"

# The studio's module: stores (Store, callStore for what_if, reverse, diff with reach) and
# the workbench (lint, test, diff), web target; inline threshold 75, for the impact panel's
# keystroke over a store of 100k enterprises.
STUDIO_DIR=$WASM_TARGET_DIR/wasm-studio
wasm_build "$STUDIO_DIR" 75 --features stores,workbench
"$WASM_BINDGEN" --target web --out-dir "$PKG/studio" "$STUDIO_DIR/wasm32-unknown-unknown/release/huiqi_wasm.wasm"
node "$WASM/tools/patch-glue.mjs" "${TRAPS[@]}" "$PKG/studio/huiqi_wasm.js"
echo '{"type": "module"}' > "$PKG/studio/package.json"

# -O1, not -Oz: -Oz and -O2 and above make the module smaller raw but 8-11 % larger gzipped
# (641,649 against 595,575 bytes on 2026-12-07; 457 against 413 KB on 2026-12-07) at about
# the same speed (wasm/README.md, Size).
WASM_OPT_FLAGS=${WASM_OPT_FLAGS:--O1}
if [ "${WASM_OPT:-1}" != 0 ]; then
  echo "==> wasm-opt $WASM_OPT_FLAGS ($("$WASM/node_modules/.bin/wasm-opt" --version))"
  features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals)
  for target in node web studio; do
    "$WASM/node_modules/.bin/wasm-opt" $WASM_OPT_FLAGS "${features[@]}" "$PKG/$target/huiqi_wasm_bg.wasm" -o "$PKG/$target/huiqi_wasm_bg.opt.wasm"
    mv "$PKG/$target/huiqi_wasm_bg.opt.wasm" "$PKG/$target/huiqi_wasm_bg.wasm"
  done
fi

# The web build is ES modules; the node build CommonJS (the package's default).
echo '{"type": "module"}' > "$PKG/web/package.json"
rm -f "$PKG"/*/.gitignore
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -1)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" "$WASM/npm/package.json" > "$PKG/package.json"
cp "$WASM/npm/README.md" "$PKG/README.md"

# The loaders of the bundled data, which the module does not carry: Node's entry installs
# it from ../data when the package is loaded; a page calls web/bundled.js's loadBundled().
cp "$WASM/js/node-index.cjs" "$PKG/node/index.js"
cp "$WASM/js/node-index.d.ts" "$PKG/node/index.d.ts"
cp "$WASM/js/web-bundled.js" "$PKG/web/bundled.js"
cp "$WASM/js/web-bundled.d.ts" "$PKG/web/bundled.d.ts"
cp "$WASM/js/web-bundled.js" "$PKG/studio/bundled.js"
cp "$WASM/js/web-bundled.d.ts" "$PKG/studio/bundled.d.ts"

# The bundled data beside the module: the bundled set saved natively with its syntax trees
# (no condition text is parsed in the page), the schema, the code tables the library embeds
# natively, and the synthetic sample enterprises, with an index of them.
echo "==> pkg/huiqi/data: the bundled set (huiqi compile), schema, code tables, sample enterprises"
# The native CLI, in the release build the test scripts share (scripts/lib.sh).
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"
(cd "$ROOT" && release_build -q)
DATA=$PKG/data
mkdir -p "$DATA/schema" "$DATA/codes" "$DATA/enterprises"
"$ROOT/target/release/huiqi" compile --out "$DATA/policies.hqset"
cp "$ROOT/data/schema/enterprise.json" "$DATA/schema/"
cp "$ROOT"/data/codes/{industry,region,zone}.json "$DATA/codes/"
cp "$ROOT"/data/enterprises/*.json "$DATA/enterprises/"
node -e '
  const fs = require("fs"), dir = process.argv[1];
  const json = (f) => f.endsWith(".json");
  const enterprises = fs.readdirSync(dir + "/enterprises").filter(json).sort()
    .map((file) => ({ file, name: JSON.parse(fs.readFileSync(dir + "/enterprises/" + file, "utf8")).name ?? file }));
  const index = { set: "policies.hqset", schema: "schema/enterprise.json",
    codes: fs.readdirSync(dir + "/codes").filter(json).sort(), enterprises };
  fs.writeFileSync(dir + "/index.json", JSON.stringify(index, null, 1));
' "$DATA"

# The pages serve the web build from www/pkg and the data from www/data.
mkdir -p "$WASM/www"
rm -rf "$WASM/www/pkg" "$WASM/www/data" "$WASM/www/samples" "$WASM/www/policies.hqset"
cp -r "$PKG/web" "$WASM/www/pkg"
cp -r "$DATA" "$WASM/www/data"
rm -rf "$WASM/www/studio-pkg"
cp -r "$PKG/studio" "$WASM/www/studio-pkg"
# The studio page's script: CodeMirror 6 (npm) and the page's modules in one file.
echo "==> esbuild: www/studio/main.js -> www/studio.js"
"$WASM/node_modules/.bin/esbuild" "$WASM/www/studio/main.js" --bundle --format=esm --minify --sourcemap \
  --target=es2020 --external:./studio-pkg/* --outfile="$WASM/www/studio.js" --log-level=warning

bytes=$(stat -c %s "$PKG/web/huiqi_wasm_bg.wasm")
gz=$(gzip -9 -c "$PKG/web/huiqi_wasm_bg.wasm" | wc -c)
ngz=$(gzip -9 -c "$PKG/node/huiqi_wasm_bg.wasm" | wc -c)
sbytes=$(stat -c %s "$PKG/studio/huiqi_wasm_bg.wasm")
sgz=$(gzip -9 -c "$PKG/studio/huiqi_wasm_bg.wasm" | wc -c)
dgz=$(tar -C "$PKG" -cf - data | gzip -9 | wc -c)
printf '{"wasm_bytes": %d, "wasm_gzip_bytes": %d, "studio_wasm_bytes": %d, "studio_wasm_gzip_bytes": %d, "node_wasm_gzip_bytes": %d, "data_gzip_bytes": %d}\n' \
  "$bytes" "$gz" "$sbytes" "$sgz" "$ngz" "$dgz" > "$WASM/pkg/size.json"
echo "==> $PKG: web/huiqi_wasm_bg.wasm $((bytes / 1024)) KiB, gzipped $((gz / 1024)) KiB; studio/ $((sbytes / 1024)) KiB, gzipped $((sgz / 1024)) KiB; node/ (speed) gzipped $((ngz / 1024)) KiB; data/ gzipped $((dgz / 1024)) KiB"
