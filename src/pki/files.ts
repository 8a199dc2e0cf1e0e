export { readIfExists, writeFileAtomic } from "../util/files.js";
