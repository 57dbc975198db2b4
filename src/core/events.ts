/** Minimal event/disposable types so the core needs no `vscode` import (see docs/ARCHITECTURE.md). */
export interface Disposable {
  dispose(): void;
}

export type Listener<T> = (value: T) => void;
export type Event<T> = (listener: Listener<T>) => Disposable;

export class Emitter<T> implements Disposable {
  private listeners = new Set<Listener<T>>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (err) {
        // A faulty listener must not stop the others from hearing the event.
        console.error('loopline: event listener failed:', err);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
