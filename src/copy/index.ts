export { type BlobAction, type CopyEvent, type CopyOptions, type CopyResult, copy } from './execute.js';
export { type CopyPlan, type PlanOptions, planCopy, type TopPlan } from './plan.js';
