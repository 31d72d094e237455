/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a leading = + - @ is defused. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = value instanceof Date ? value.toISOString() : typeof value === "object" ? JSON.stringify(value) : String(value as string);
  // A spreadsheet would run a text cell that starts with these as a formula (numbers such as -1 stay numbers).
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
