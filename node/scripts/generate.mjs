// Generates the schemas' TypeScript (src/generated/) from ../proto with protoc and ts-proto, the
// version the lockfile pins. int64 fields are bigint: timestamps in microseconds outgrow a number.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const protoRoot = join(here, "..", "proto");
const out = join(here, "src", "generated");
const packages = ["common", "trading", "business", "ml"];
const files = packages.flatMap((folder) =>
  readdirSync(join(protoRoot, folder))
    .filter((name) => name.endsWith(".proto"))
    .map((name) => `${folder}/${name}`),
);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const options = ["forceLong=bigint", "importSuffix=.js", "esModuleInterop=true", "outputServices=false", "useOptionals=none"];
execFileSync(
  "protoc",
  [
    `--plugin=protoc-gen-ts_proto=${join(here, "node_modules", ".bin", "protoc-gen-ts_proto")}`,
    `--ts_proto_out=${out}`,
    `--ts_proto_opt=${options.join(",")}`,
    `-I${protoRoot}`,
    ...files,
  ],
  { stdio: "inherit" },
);
console.log(`generated ${files.length} schemas into ${out}`);
