/**
 * OpenTelemetry tracing, on when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: spans
 * go over OTLP/HTTP in batches to that collector, the service named by OTEL_SERVICE_NAME (default "interference");
 * clients' W3C traceparent headers are honoured. The exporter reads the rest of the standard OTEL_* settings
 * itself (headers, timeout; OTEL_BSP_* for the batching). Off: no SDK is loaded and the gateway gets no tracer.
 */
import type { Tracer } from "@opentelemetry/api";

export interface Tracing {
  tracer: Tracer;
  /** Sends what is still batched, then stops. */
  shutdown(): Promise<void>;
}

export async function startTracing(env: NodeJS.ProcessEnv): Promise<Tracing | null> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return null;
  if (env.OTEL_SDK_DISABLED === "true") return null;
  const [{ propagation }, { W3CTraceContextPropagator }, { TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import("@opentelemetry/api"),
      import("@opentelemetry/core"),
      import("@opentelemetry/sdk-trace"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
    ]);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || "interference" }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter(),
        ...(Number(env.OTEL_BSP_SCHEDULE_DELAY) > 0 ? { scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY) } : {}),
      }),
    ],
  });
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  console.log(`[interference] tracing: OTLP to ${env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT}`);
  return { tracer: provider.getTracer("interference"), shutdown: () => provider.shutdown() };
}
