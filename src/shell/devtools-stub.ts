// An empty stand-in for react-devtools-core in the shell bundle (Ink loads it only in development).
export default {};
export function connectToDevTools(): void {}
