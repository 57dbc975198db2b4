import { seededRandom } from './seeded-random.ts';

/**
 * A uniform random sample of up to `capacity` rows of a stream of unknown length (Li's
 * "Algorithm L": it draws skip lengths, so the cost per row that is not kept is one counter
 * decrement). Each row has the same chance capacity/n of being in the sample. Seeded, so the same
 * file gives the same profile.
 */
export class RowReservoir<T> {
  readonly rows: T[] = [];
  private seen = 0;
  private skip = 0;
  private w: number;
  private readonly random: () => number;

  readonly capacity: number;

  constructor(capacity: number, seed = 1) {
    this.capacity = capacity;
    this.random = seededRandom(seed);
    this.w = Math.exp(Math.log(this.random()) / capacity);
  }

  /** True when the next row will be kept: call `add` then, else `skipRow`. */
  wantsNext(): boolean {
    return this.seen < this.capacity || this.skip === 0;
  }

  skipRow(): void {
    this.seen++;
    this.skip--;
  }

  add(row: T): void {
    if (this.seen < this.capacity) {
      this.rows.push(row);
      this.seen++;
      if (this.seen === this.capacity) this.drawSkip();
      return;
    }
    this.rows[Math.floor(this.random() * this.capacity)] = row;
    this.seen++;
    this.w *= Math.exp(Math.log(this.random()) / this.capacity);
    this.drawSkip();
  }

  private drawSkip(): void {
    this.skip = Math.floor(Math.log(this.random()) / Math.log(1 - this.w));
  }
}
