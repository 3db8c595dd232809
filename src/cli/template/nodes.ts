// The parse tree of a Go template. Each node knows its source position (for "NAME:LINE:COL" in
// execution errors) and prints itself back the way Go's parse package does (for "at <...>").

export interface TreeInfo {
  /** Name of the template whose Parse call produced this node (Go's ParseName). */
  parseName: string;
  text: string;
}

interface Base {
  pos: number;
  tree: TreeInfo;
}

export interface TextNode extends Base { type: 'text'; text: string }
export interface ListNode extends Base { type: 'list'; nodes: Node[] }
export interface ActionNode extends Base { type: 'action'; line: number; pipe: PipeNode }
export interface PipeNode extends Base { type: 'pipe'; line: number; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
export interface CommandNode extends Base { type: 'command'; args: Node[] }
export interface IdentifierNode extends Base { type: 'identifier'; ident: string }
export interface VariableNode extends Base { type: 'variable'; ident: string[] }
export interface DotNode extends Base { type: 'dot' }
export interface NilNode extends Base { type: 'nil' }
export interface FieldNode extends Base { type: 'field'; ident: string[] }
export interface ChainNode extends Base { type: 'chain'; node: Node; field: string[] }
export interface BoolNode extends Base { type: 'bool'; value: boolean }
export interface NumberNode extends Base {
  type: 'number';
  text: string;
  isInt: boolean;
  isFloat: boolean;
  int: number;
  float: number;
}
export interface StringNode extends Base { type: 'string'; quoted: string; text: string }
export interface BranchNode extends Base {
  type: 'if' | 'range' | 'with';
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}
export interface TemplateNode extends Base { type: 'template'; line: number; name: string; pipe: PipeNode | undefined }
export interface BreakNode extends Base { type: 'break'; line: number }
export interface ContinueNode extends Base { type: 'continue'; line: number }
export interface EndNode extends Base { type: 'end' }
export interface ElseNode extends Base { type: 'else'; line: number }

export type Node =
  | TextNode | ListNode | ActionNode | PipeNode | CommandNode | IdentifierNode | VariableNode | DotNode
  | NilNode | FieldNode | ChainNode | BoolNode | NumberNode | StringNode | BranchNode | TemplateNode
  | BreakNode | ContinueNode | EndNode | ElseNode;

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Go's Node.String(). */
export function nodeString(n: Node): string {
  switch (n.type) {
    case 'text':
      return quote(n.text);
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'identifier':
      return n.ident;
    case 'variable':
      return n.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'field':
      return n.ident.map((i) => '.' + i).join('');
    case 'chain': {
      const inner = n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return inner + n.field.map((f) => '.' + f).join('');
    }
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'if':
    case 'range':
    case 'with': {
      const els = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case 'template':
      return n.pipe ? `{{template ${quote(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${quote(n.name)}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
  }
}
