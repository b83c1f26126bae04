/** The review-side commands the `mesh` CLI wires to the bus: `mesh labels export`, `mesh replay <task-id>`. */
export { exportLabels } from "./export-labels.js";
export { replayTask, type Replay } from "./replay-task.js";
