import type { JobRecord } from "../jobs.ts";

/** Records of one Resource Graph table, by id (case-insensitive, as ARM ids are). */
export class RecordTable {
  private readonly records: JobRecord[] = [];
  private readonly byId = new Map<string, number>();

  /** Adds the record, or replaces the one with the same id. */
  upsert(record: JobRecord): void {
    const key = record.id.toLowerCase();
    const at = this.byId.get(key);
    if (at === undefined) {
      this.byId.set(key, this.records.length);
      this.records.push(record);
    } else {
      this.records[at] = record;
    }
  }

  get(id: string): JobRecord | undefined {
    const at = this.byId.get(id.toLowerCase());
    return at === undefined ? undefined : this.records[at];
  }

  all(): readonly JobRecord[] {
    return this.records;
  }

  clear(): void {
    this.records.length = 0;
    this.byId.clear();
  }
}
