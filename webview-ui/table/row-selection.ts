/** Which runs are selected (by run id, so a selection survives sorting and filtering) and the range anchor. */
export class RowSelection {
  private readonly selected = new Set<string>();
  /** Run id that shift-click and shift-arrow ranges start from. */
  anchor: string | null = null;

  get size(): number {
    return this.selected.size;
  }

  has(runId: string): boolean {
    return this.selected.has(runId);
  }

  ids(): string[] {
    return [...this.selected];
  }

  replace(runIds: Iterable<string>): void {
    this.selected.clear();
    for (const id of runIds) this.selected.add(id);
  }

  add(runIds: Iterable<string>): void {
    for (const id of runIds) this.selected.add(id);
  }

  toggle(runId: string): void {
    if (!this.selected.delete(runId)) this.selected.add(runId);
  }

  clear(): void {
    this.selected.clear();
  }

  /** Drops ids that are no longer runs of the table. */
  retain(isRun: (runId: string) => boolean): void {
    for (const id of this.selected) if (!isRun(id)) this.selected.delete(id);
    if (this.anchor !== null && !isRun(this.anchor)) this.anchor = null;
  }
}
