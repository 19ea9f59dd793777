import type { BackoffTwin } from '../ts/backoff/twin';
import type { ClassifyTwin } from '../ts/classify/twin';
import type { DurationTwin } from '../ts/duration/twin';

export const referenceDuration: DurationTwin | null;
export const referenceBackoff: BackoffTwin | null;
export const referenceClassify: ClassifyTwin | null;
export function referencePatterns(): [string, number][];
