/** The review-side commands the `mesh` CLI wires to the bus: `mesh labels export`, `mesh replay <task-id>`, `mesh review ls`. */
export { exportLabels } from "./export-labels.js";
export { replayTask, type Replay } from "./replay-task.js";
export { formatReviewQueue } from "./format-queue.js";
