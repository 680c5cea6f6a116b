declare const __ARCHFIT_VERSION__: string | undefined;

/** The package version, inlined at build time; "0.0.0-dev" when running from source. */
export const VERSION: string = typeof __ARCHFIT_VERSION__ === 'string' ? __ARCHFIT_VERSION__ : '0.0.0-dev';
