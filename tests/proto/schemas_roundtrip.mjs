// The Node side of the schemas' cross-language round trip (roundtrip.sh), on the TypeScript that
// ts-proto generated (node/dist/generated).
//
//   node schemas_roundtrip.mjs write messages.json OUT
//   node schemas_roundtrip.mjs read  messages.json IN
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// Length-delimited framing (a varint size before each envelope), as C++'s delimited_message_util
// and the Python side write it.
function varint(value) {
  const bytes = [];
  for (; value > 127; value >>>= 7) bytes.push((value & 127) | 128);
  bytes.push(value);
  return Uint8Array.from(bytes);
}

function frames(data) {
  const found = [];
  for (let position = 0; position < data.length; ) {
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = data[position++];
      size |= (byte & 127) << shift;
      if (byte < 128) break;
    }
    found.push(data.subarray(position, position + size));
    position += size;
  }
  return found;
}

const generated = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "node", "dist", "generated");
const types = {};
for (const folder of readdirSync(generated)) {
  for (const file of readdirSync(join(generated, folder)).filter((name) => name.endsWith(".js"))) {
    const module = await import(pathToFileURL(join(generated, folder, file)).href);
    for (const [name, value] of Object.entries(module)) {
      if (value && typeof value.encode === "function" && typeof value.fromJSON === "function") types[`${module.protobufPackage}.${name}`] = value;
    }
  }
}
const { MessageEnvelope } = await import(pathToFileURL(join(generated, "common", "envelope.js")).href);

function expected(path) {
  return Object.entries(JSON.parse(readFileSync(path, "utf8")))
    .filter(([name]) => !name.startsWith("_"))
    .map(([name, value]) => {
      assert.ok(types[name], `no generated type ${name}`);
      return [name, types[name].fromJSON(value)];
    });
}

const [mode, fixture, file] = process.argv.slice(2);
if (mode === "write") {
  const chunks = [];
  expected(fixture).forEach(([name, message], number) => {
    const envelope = {
      messageType: name,
      userId: "user123",
      payload: types[name].encode(message).finish(),
      timestamp: 1764576000000000n + BigInt(number),
      serviceSource: "node",
      correlationId: `node-${number}`,
    };
    const data = MessageEnvelope.encode(envelope).finish();
    chunks.push(varint(data.length), data);
  });
  writeFileSync(file, Buffer.concat(chunks));
} else {
  const envelopes = frames(readFileSync(file)).map((frame) => MessageEnvelope.decode(frame));
  const wanted = expected(fixture);
  assert.equal(envelopes.length, wanted.length, `${file}: ${envelopes.length} envelopes, expected ${wanted.length}`);
  wanted.forEach(([name, message], number) => {
    const envelope = envelopes[number];
    assert.equal(envelope.messageType, name);
    assert.equal(envelope.timestamp, 1764576000000000n + BigInt(number));
    assert.deepStrictEqual(types[name].decode(envelope.payload), message, `${name} differs`);
  });
  console.log(`node read ${envelopes.length} messages from ${envelopes[0].serviceSource}`);
}
