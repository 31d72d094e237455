/** A filtered table as a file: CSV or JSON lines, read in keyset pages and streamed, at most `maxRows` rows. */
import { csvField } from "@/lib/csv";

export interface ExportOptions<Row> {
  format: "csv" | "jsonl";
  columns: ReadonlyArray<keyof Row & string>;
  /** The next page after `cursor` (null: the first), at most `limit` rows. */
  page: (cursor: string | null, limit: number) => Promise<{ rows: Row[]; nextCursor: string | null }>;
  /** The file's name before its time stamp: "requests", "audit". */
  name: string;
  maxRows?: number;
}

const PAGE = 500;

export function exportResponse<Row>({ format, columns, page, name, maxRows = 100_000 }: ExportOptions<Row>): Response {
  const encoder = new TextEncoder();
  let cursor: string | null = null;
  let sent = 0;
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        if (format === "csv") controller.enqueue(encoder.encode(`${columns.join(",")}\r\n`));
      }
      const { rows, nextCursor } = await page(cursor, Math.min(PAGE, maxRows - sent));
      let chunk = "";
      for (const row of rows) chunk += format === "csv" ? `${columns.map((c) => csvField(row[c])).join(",")}\r\n` : `${JSON.stringify(row)}\n`;
      sent += rows.length;
      if (chunk) controller.enqueue(encoder.encode(chunk));
      cursor = nextCursor;
      if (!cursor || sent >= maxRows) controller.close();
    },
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return new Response(body, {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="${name}-${stamp}.${format}"`,
      "cache-control": "no-store",
    },
  });
}

/** An error in the admin API's JSON shape. */
export function jsonError(status: number, message: string): Response {
  return Response.json(
    {
      error: {
        message,
        type: status === 401 ? "authentication_error" : status === 403 ? "permission_error" : "invalid_request_error",
        param: null,
        code: null,
      },
    },
    { status },
  );
}
