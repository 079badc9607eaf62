// Vite's `?worker&url` import (stream-download.ts): the URL of the worker, built as a script of its own.
declare module '*?worker&url' {
  const url: string;
  export default url;
}
