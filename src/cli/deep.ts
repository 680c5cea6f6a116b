export { entrypointAnalyzer as deepAnalyzer } from '../api/deep.js';
