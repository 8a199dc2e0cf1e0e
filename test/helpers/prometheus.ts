// Scrapes a ferryd's /metrics and parses it with the Prometheus project's own
// text-format parser (prometheus_client.parser, in .ci/run's Python venv), so
// what is checked is what Prometheus would read, not our reading of it.
import { execFileSync } from "node:child_process";
import { python } from "./tools.js";

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        out.append({"family": f.name, "type": f.type, "name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(out))
`;

interface Sample {
  family: string;
  type: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  /** The family's type as Prometheus reads it ("counter", "histogram", ...). */
  typeOf(family: string): string | undefined;
  /** The value of sample `name` whose labels include `labels`. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

export async function scrape(address: string): Promise<Scrape> {
  const res = await fetch(`http://${address}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("text/plain; version=0.0.4")) throw new Error(`unexpected content type ${type}`);
  const text = await res.text();
  const samples = JSON.parse(
    execFileSync(python, ["-c", PARSE], { input: text, maxBuffer: 64 << 20 }).toString(),
  ) as Sample[];
  const matches = (s: Sample, labels: Record<string, string>) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return {
    samples,
    typeOf: (family) => samples.find((s) => s.family === family)?.type,
    value: (name, labels = {}) => samples.find((s) => s.name === name && matches(s, labels))?.value,
  };
}
