import { expect, it } from "vitest";
import { csvField } from "../lib/csv";

it("writes CSV fields as RFC 4180 says, and defuses spreadsheet formulas", () => {
  expect(csvField(null)).toBe("");
  expect(csvField(42)).toBe("42");
  expect(csvField(-1)).toBe("-1");
  expect(csvField(false)).toBe("false");
  expect(csvField(new Date("2026-12-03T10:00:00Z"))).toBe("2026-12-03T10:00:00.000Z");
  expect(csvField('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
  expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
  expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
  expect(csvField([{ provider: "a", outcome: "failed" }])).toBe('"[{""provider"":""a"",""outcome"":""failed""}]"');
});
