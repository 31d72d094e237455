import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkModelPath } from "./options.js";

describe("checkModelPath (model paths set from the dashboard)", () => {
  const root = mkdtempSync(join(tmpdir(), "models-"));
  const models = join(root, "models");
  mkdirSync(models);
  writeFileSync(join(models, "ok.gguf"), "GGUF");
  writeFileSync(join(root, "secret.gguf"), "SECRET");
  writeFileSync(join(models, "notes.txt"), "x");
  symlinkSync(join(root, "secret.gguf"), join(models, "link.gguf"));

  it("takes a .gguf file inside the models folder, relative or absolute", () => {
    expect(checkModelPath("ok.gguf", models)).toBe(join(models, "ok.gguf"));
    expect(checkModelPath(join(models, "ok.gguf"), models)).toBe(join(models, "ok.gguf"));
  });

  it.each([
    ["../secret.gguf", /inside the models folder/],
    [join(root, "secret.gguf"), /inside the models folder/],
    ["/etc/passwd", /inside the models folder/],
    ["link.gguf", /links elsewhere/],
    ["notes.txt", /\.gguf/],
    ["missing.gguf", /no file/],
    [".", /inside the models folder/],
  ])("refuses %s", (path, message) => {
    expect(() => checkModelPath(path, models)).toThrow(message);
  });
});
