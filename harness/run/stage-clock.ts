import type { StageTiming } from './run-summary.js';
import { timeline } from '../util/timeline.js';

/** Times the pipeline's stages for summary.json and the terminal. */
export class StageClock {
  readonly stages: StageTiming[] = [];
  constructor(private readonly onStage: (t: StageTiming) => void = () => {}) {}

  async time<T>(stage: string, fn: () => Promise<T>, note?: (v: T) => string | undefined): Promise<T> {
    const t0 = performance.now();
    try {
      const v = await fn();
      this.push(stage, t0, note?.(v));
      return v;
    } catch (e) {
      this.push(stage, t0, `failed: ${(e as Error).message.split('\n')[0]}`);
      throw e;
    }
  }

  private push(stage: string, t0: number, note: string | undefined): void {
    timeline.span(`stage:${stage}`, t0);
    const t: StageTiming = { stage, seconds: Math.round(performance.now() - t0) / 1000, ...(note ? { note } : {}) };
    this.stages.push(t);
    this.onStage(t);
  }
}
