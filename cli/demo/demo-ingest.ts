/**
 * The demo's ingest through a node's API, as a client of a real node does it: the file is posted,
 * the node answers at once with the run (202), and the run is polled to its end. On a terminal the
 * progress redraws in place; elsewhere a line is printed now and then, so logs stay short.
 */
import type { DemoNode } from './demo-node.ts';

export type IngestRunView = {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  bytes: number;
  rowsRead: number;
  applied: number;
  rejected: number;
  personsCreated: number;
  personsMerged: number;
  error: { row: number; reason: string; detail: string } | null;
};

const POLL_MS = 250;
const LOG_EVERY_MS = 15_000;

export async function demoIngest(node: DemoNode, kind: 'members' | 'orders' | 'events', csv: string): Promise<IngestRunView> {
  let run = await node.upload<IngestRunView>(`/v1/ingest/${kind}/files`, 'text/csv; charset=utf-8', csv);
  const live = process.stdout.isTTY === true;
  let logged = performance.now();
  let drawn = false;
  while (run.status === 'queued' || run.status === 'running') {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    run = await node.poll<IngestRunView>(`/v1/ingest/runs/${run.id}`);
    const line = `  ${node.name}: ingesting ${kind}, ${run.status}: ${run.rowsRead.toLocaleString('en')} rows committed`;
    if (live) {
      process.stdout.write(`\r${line}\u001b[K`);
      drawn = true;
    } else if (performance.now() - logged > LOG_EVERY_MS) {
      console.log(line);
      logged = performance.now();
    }
  }
  if (drawn) process.stdout.write('\r\u001b[K');
  if (run.status === 'failed') throw new Error(`${node.name}: ingest run ${run.id} of the ${kind} file failed at row ${run.error?.row}: ${run.error?.detail}`);
  return run;
}
