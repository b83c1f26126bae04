import type { BuildInfo } from "../shared/telemetry/build-info.js";

export declare const distDir: string;
export declare const buildStamp: string;
export declare function buildIsStale(): boolean;
export declare function build(outdir?: string): Promise<BuildInfo>;
export declare function ensureBuilt(log?: (line: string) => void): Promise<void>;
