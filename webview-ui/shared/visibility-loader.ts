/**
 * Calls `onVisible` once per element when it first comes near the viewport: charts below the fold
 * ask for their data only when scrolled to. Elements already on screen are handled at once (an
 * IntersectionObserver would wait for the next frame).
 */
const MARGIN_PX = 200;

export class VisibilityLoader {
  private readonly observer: IntersectionObserver;
  private readonly onVisible: (el: HTMLElement) => void;

  constructor(onVisible: (el: HTMLElement) => void) {
    this.onVisible = onVisible;
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          this.observer.unobserve(e.target);
          this.onVisible(e.target as HTMLElement);
        }
      },
      { rootMargin: `${MARGIN_PX}px` },
    );
  }

  observe(el: HTMLElement): void {
    const r = el.getBoundingClientRect();
    const onScreen = r.bottom >= -MARGIN_PX && r.top <= window.innerHeight + MARGIN_PX && (r.width > 0 || r.height > 0);
    if (onScreen) this.onVisible(el);
    else this.observer.observe(el);
  }

  disconnect(): void {
    this.observer.disconnect();
  }
}
