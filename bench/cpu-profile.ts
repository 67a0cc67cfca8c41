/** The parts of a V8 CPU profile (node --cpu-prof) the profile summaries read. */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}
