// Types of scripts/app-bundle-freshness.mjs (plain JavaScript, so that `npm start` loads no TypeScript).
export declare const APP_BUNDLE: string;
export declare const STAMP_FILE: string;
export declare const BUNDLE_INPUTS: readonly string[];
export declare function bundleFingerprint(root: string): string;
export declare function inputsFingerprint(root: string, inputs: readonly string[]): string;
export declare function staleness(root: string): string | undefined;
export declare function ensureBundle(root: string, build?: readonly string[]): string | undefined;
