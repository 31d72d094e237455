import { describe, expect, it } from "vitest";
import { compatiblePrompts } from "./semantic-guard.js";

describe("compatiblePrompts", () => {
  it("pairs paraphrases", () => {
    expect(compatiblePrompts("How do I reverse a list in Python?", "What's the way to reverse a Python list?")).toBe(true);
    expect(compatiblePrompts("Translate 'good morning' into Spanish.", "How do you say 'good morning' in Spanish?")).toBe(true);
    expect(compatiblePrompts("How many days are there in a leap year?", "How many days does a leap year have?")).toBe(true);
    expect(compatiblePrompts("Can I undo a commit?", "How do I undo a commit?")).toBe(true);
  });

  it("keeps apart prompts that name other numbers, numerals, quotes or identifiers", () => {
    expect(compatiblePrompts("What year did World War II end?", "What year did World War I end?")).toBe(false);
    expect(compatiblePrompts("Is 17 prime?", "Is 19 prime?")).toBe(false);
    expect(compatiblePrompts("Translate 'good morning' into Spanish.", "Translate 'good night' into Spanish.")).toBe(false);
    expect(compatiblePrompts("What does os.path.join do?", "What does os.path.split do?")).toBe(false);
    expect(compatiblePrompts("What does getUserName return?", "What does getUserId return?")).toBe(false);
  });

  it("keeps apart the same words in another order", () => {
    expect(compatiblePrompts("How do I convert a string to an integer in JavaScript?", "How do I convert an integer to a string in JavaScript?")).toBe(false);
    expect(compatiblePrompts("Is a dog bigger than a cat?", "Is a cat bigger than a dog?")).toBe(false);
  });
});
