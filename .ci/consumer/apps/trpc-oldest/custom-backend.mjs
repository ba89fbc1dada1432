// A backend class of the app's own, configured like a built-in: enqueue() and getResult()
// go through it.
import { BaseBackend, newTaskRecord, TaskResultDoesNotExist } from "@errand/core";

export class MapBackend extends BaseBackend {
  supportsDefer = true;
  supportsPriority = true;
  supportsGetResult = true;
  rows = new Map();
  calls = [];

  async enqueue(request) {
    this.calls.push(`enqueue ${request.taskName}`);
    const now = new Date();
    const record = newTaskRecord(request, {
      id: crypto.randomUUID(),
      backend: this.alias,
      enqueuedAt: now,
      runAfter: request.runAfter ?? now,
    });
    this.rows.set(record.id, record);
    return record;
  }

  async getRecord(id) {
    this.calls.push(`getRecord ${id}`);
    const record = this.rows.get(id);
    if (!record) throw new TaskResultDoesNotExist(id);
    return record;
  }
}
