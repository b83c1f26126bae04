/** What a compiled build was made from; scripts/build.mjs defines MESH_BUILD_INFO, running from source leaves it unset. */
export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
  readonly builtAt: string;
  readonly node: string;
}

declare const MESH_BUILD_INFO: BuildInfo | undefined;

/** The build this process runs from, or undefined when it runs the TypeScript sources (tsx, tests). */
export const compiledBuild: BuildInfo | undefined = typeof MESH_BUILD_INFO === "undefined" ? undefined : MESH_BUILD_INFO;
