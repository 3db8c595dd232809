// Executes a parsed template tree against data, following Go's text/template exec.go: variable
// scopes, field chains through maps, function calls with Go's argument checks, if/with/range with
// break and continue, nested templates, and Go's wording and positions for execution errors.

import { builtins } from './builtins.js';
import { TemplateError } from './errors.js';
import { printValue } from './fmt.js';
import { GoFunc, ParamType, goTypeName } from './funcs.js';
import type { BranchNode, ChainNode, CommandNode, FieldNode, ListNode, Node, NumberNode, PipeNode, TemplateNode, VariableNode } from './nodes.js';
import { nodeString } from './nodes.js';
import { GoFloat, isTrue, kindOf, sortedKeys, typeName, utf8Length } from './values.js';
import { GO_JSON_MARSHALED_MAP } from './gojson.js';
import { structFields } from './typed.js';

const MISSING = Symbol('missing final argument');
type Final = unknown | typeof MISSING;

class BreakSignal {}
class ContinueSignal {}
// Go allows 100000 nested template calls; a JS stack is shallower, so stop well before it overflows.
const MAX_DEPTH = 1000;

export interface ExecEnv {
  name: string;
  trees: Map<string, ListNode>;
  funcs: Map<string, GoFunc>;
  /** Go's Option("missingkey=error"): a missing map key fails instead of giving <no value>. */
  missingKeyError?: boolean;
}

/**
 * Marks an object as a Go struct (docker's formatter contexts): a field it lacks is an error
 * naming this type, as Go reports it, rather than a missing map key.
 */
export const GO_STRUCT_TYPE: unique symbol = Symbol.for('berth.template.goStructType');

export function asGoStruct<T extends object>(value: T, typeName: string, opts: { marshalsAsMap?: boolean } = {}): T {
  Object.defineProperty(value, GO_STRUCT_TYPE, { value: typeName, enumerable: false });
  if (opts.marshalsAsMap) Object.defineProperty(value, GO_JSON_MARSHALED_MAP, { value: true, enumerable: false });
  return value;
}

interface Variable {
  name: string;
  value: unknown;
  /** Set for range variables: they hold elements of []interface{} / map values, static type interface {}. */
  iface?: boolean;
}

class ExecError extends Error {}

export function execute(env: ExecEnv, name: string, data: unknown): string {
  const root = env.trees.get(name);
  if (!root) throw new TemplateError(`template: ${env.name}: no template ${JSON.stringify(name)} associated with template ${JSON.stringify(env.name)}`, 'exec');
  const s = new State(env, name);
  // Go's Execute(nil) has an invalid dot, not a nil interface.
  if (data === null) data = undefined;
  s.vars = [{ name: '$', value: data }];
  try {
    s.walk(data, root);
  } catch (e) {
    if (e instanceof ExecError) throw new TemplateError(e.message, 'exec', s.out.join(''));
    throw e;
  }
  return s.out.join('');
}

class State {
  out: string[] = [];
  vars: Variable[] = [];
  node: Node | undefined;
  depth = 0;
  /** Whether dot's static Go type is interface {} (inside range over JSON arrays and maps). */
  dotIface = false;

  constructor(
    private readonly env: ExecEnv,
    private tmplName: string,
  ) {}

  private at(n: Node): void {
    this.node = n;
  }

  errorf(msg: string): never {
    const name = this.tmplName;
    if (!this.node) throw new ExecError(`template: ${name}: ${msg}`);
    const n = this.node;
    const before = n.tree.text.slice(0, n.pos);
    const nl = before.lastIndexOf('\n');
    const col = nl < 0 ? utf8Length(before) : utf8Length(before.slice(nl + 1));
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    throw new ExecError(`template: ${n.tree.parseName}:${line}:${col}: executing ${JSON.stringify(name)} at <${nodeString(n)}>: ${msg}`);
  }

  private mark(): number {
    return this.vars.length;
  }
  private pop(mark: number): void {
    this.vars.length = mark;
  }
  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.errorf(`undefined variable: ${name}`);
  }

  walk(dot: unknown, n: Node): void {
    this.at(n);
    switch (n.type) {
      case 'action': {
        const val = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.printValue(n, val);
        return;
      }
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, n);
      case 'list':
        for (const c of n.nodes) this.walk(dot, c);
        return;
      case 'range':
        return this.walkRange(dot, n);
      case 'template':
        return this.walkTemplate(dot, n);
      case 'text':
        this.out.push(n.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(n)}`);
    }
  }

  private printValue(n: Node, v: unknown): void {
    this.at(n);
    if (kindOf(v) === 'func') this.errorf(`can't print ${nodeString(n)} of type ${typeName(v)}`);
    this.out.push(printValue(v));
  }

  private walkIfOrWith(dot: unknown, n: BranchNode): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, n.pipe);
      if (kindOf(val) === 'func') this.errorf(`if/with can't use ${printValue(val)}`);
      if (isTrue(val)) {
        if (n.type === 'with') this.withDot(false, () => this.walk(val, n.list));
        else this.walk(dot, n.list);
      } else if (n.elseList) this.walk(dot, n.elseList);
    } finally {
      this.pop(mark);
    }
  }

  private withDot(iface: boolean, f: () => void): void {
    const saved = this.dotIface;
    this.dotIface = iface;
    try {
      f();
    } finally {
      this.dotIface = saved;
    }
  }

  private walkRange(dot: unknown, r: BranchNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const one = (index: unknown, elem: unknown): boolean => {
        if (r.pipe.decl.length > 0) {
          if (r.pipe.isAssign) {
            if (r.pipe.decl.length > 1) {
              this.setVar(r.pipe.decl[0]!.ident[0]!, index);
              this.setVar(r.pipe.decl[1]!.ident[0]!, elem);
            } else this.setVar(r.pipe.decl[0]!.ident[0]!, elem);
          } else {
            // evalPipeline pushed the declared variables; set them per iteration.
            this.vars[mark - 1]!.value = elem;
            this.vars[mark - 1]!.iface = kindOf(val) !== 'int';
            if (r.pipe.decl.length > 1) this.vars[mark - 2]!.value = index;
          }
        }
        try {
          this.withDot(kindOf(val) !== 'int', () => this.walk(elem, r.list));
        } catch (e) {
          if (e instanceof ContinueSignal) return true;
          if (e instanceof BreakSignal) return false;
          throw e;
        } finally {
          this.pop(mark);
        }
        return true;
      };
      let ran = false;
      switch (kindOf(val)) {
        case 'slice':
          for (const [i, e] of (val as unknown[]).entries()) {
            ran = true;
            if (!one(i, e)) break;
          }
          break;
        case 'map': {
          const m = val as Record<string, unknown>;
          for (const k of sortedKeys(m)) {
            ran = true;
            if (!one(k, m[k])) break;
          }
          break;
        }
        case 'int': {
          const n = val as number;
          if (r.pipe.decl.length > 1) this.errorf(`can't use ${n} to iterate over more than one variable`);
          for (let i = 0; i < n; i++) {
            ran = true;
            if (!one(i, i)) break;
          }
          break;
        }
        case 'invalid':
        case 'nil':
          break;
        default:
          this.errorf(`range can't iterate over ${printValue(val)}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const tree = this.env.trees.get(t.name);
    if (!tree) this.errorf(`template ${JSON.stringify(t.name)} not defined`);
    if (this.depth >= MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const saved = { vars: this.vars, name: this.tmplName };
    this.vars = [{ name: '$', value: newDot }];
    this.tmplName = t.name;
    this.depth++;
    try {
      this.withDot(false, () => this.walk(newDot, tree));
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.tmplName = saved.name;
    }
  }

  evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // An interface{} holding nil has no dynamic value: Go digs it out to an invalid value.
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }

  private notAFunction(args: Node[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        this.at(first);
        return this.evalCall(dot, first.ident, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
    this.errorf(`can't evaluate command ${JSON.stringify(nodeString(first))}`);
  }

  private idealConstant(n: NumberNode): unknown {
    this.at(n);
    const hexInt = /^[+-]?0[xX]/.test(n.text) && !/[pP]/.test(n.text);
    const rune = n.text.startsWith("'");
    if (n.isFloat && !hexInt && !rune && /[.eEpP]/.test(n.text)) return new GoFloat(n.float);
    if (n.isInt) {
      return n.int;
    }
    this.errorf(`${n.text} overflows int`);
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: Node[], final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final, this.dotIface);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: Node[], final: Final): unknown {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, 'any', chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: Node[], final: Final): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    const iface = [...this.vars].reverse().find((x) => x.name === v.ident[0])?.iface ?? false;
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final, iface);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: Node, ident: string[], args: Node[], final: Final, iface = false): unknown {
    for (let i = 0; i < ident.length - 1; i++) {
      const fromMap = kindOf(receiver) === 'map';
      receiver = this.evalField(ident[i]!, node, [], MISSING, receiver, iface);
      iface = fromMap;
    }
    return this.evalField(ident[ident.length - 1]!, node, args, final, receiver, iface);
  }

  private evalField(fieldName: string, node: Node, args: Node[], final: Final, receiver: unknown, iface: boolean): unknown {
    void node;
    if (receiver === undefined) return undefined;
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    const hasArgs = args.length > 1 || final !== MISSING;
    if (kindOf(receiver) === 'map') {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      const m = receiver as Record<string | symbol, unknown>;
      if (Object.prototype.hasOwnProperty.call(m, fieldName)) return m[fieldName];
      const structType = m[GO_STRUCT_TYPE];
      if (typeof structType === 'string') this.errorf(`can't evaluate field ${fieldName} in type ${structType}`);
      if (structFields(m)) this.errorf(`can't evaluate field ${fieldName} in type struct`);
      if (this.env.missingKeyError) this.errorf(`map has no entry for key ${JSON.stringify(fieldName)}`);
      return undefined;
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${iface ? 'interface {}' : typeName(receiver)}`);
  }

  private lookupFunc(name: string): GoFunc {
    const f = this.env.funcs.get(name) ?? builtins[name];
    if (!f) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    return f;
  }

  private evalCall(dot: unknown, name: string, node: Node, args: Node[], final: Final): unknown {
    const fn = this.lookupFunc(name);
    const isBuiltin = !this.env.funcs.has(name);
    const argNodes = args.slice(1);
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    const numFixed = fn.variadic ? fn.params.length : argNodes.length;
    if (fn.variadic) {
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${fn.params.length} got ${argNodes.length}`);
    } else if (numIn !== fn.params.length) {
      this.errorf(`wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);
    }
    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: unknown;
      for (const a of argNodes) {
        v = this.evalArg(dot, 'reflect', a);
        if (isTrue(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    const paramType = (i: number): ParamType => (i < fn.params.length ? fn.params[i]! : fn.variadic!);
    const argv: unknown[] = [];
    argNodes.forEach((a, i) => argv.push(this.evalArg(dot, paramType(i), a)));
    if (final !== MISSING) argv.push(this.validateType(final, paramType(argv.length)));
    this.at(node);
    if (isBuiltin && name === 'call') return this.callFunc(argv);
    try {
      return fn.fn(...argv);
    } catch (e) {
      if (e instanceof ExecError || e instanceof BreakSignal || e instanceof ContinueSignal) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private callFunc(argv: unknown[]): unknown {
    const [f, ...rest] = argv;
    if (f === undefined || f === null) this.errorf('error calling call: call of nil');
    if (typeof f !== 'function') this.errorf(`error calling call: non-function of type ${typeName(f)}`);
    try {
      return (f as (...a: unknown[]) => unknown)(...rest);
    } catch (e) {
      this.errorf(`error calling call: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private validateType(value: unknown, typ: ParamType): unknown {
    if (value === undefined) {
      if (typ === 'any' || typ === '[]string') return null;
      if (typ === 'reflect') return undefined;
      this.errorf(`invalid value; expected ${goTypeName(typ)}`);
    }
    switch (typ) {
      case 'any':
      case 'reflect':
        return value;
      case '[]string':
        if (value === null) return null;
        if (Array.isArray(value) && value.every((e) => typeof e === 'string')) return value;
        break;
      case 'string':
      case 'int':
      case 'float':
      case 'bool': {
        const k = kindOf(value);
        if (k === typ || (typ === 'float' && k === 'float')) return value;
        if (typ === 'float' && k === 'int' && typeof value === 'number') break;
        break;
      }
    }
    const got = value === null ? 'interface {}' : typeName(value);
    this.errorf(`wrong type for value; expected ${goTypeName(typ)}; got ${got}`);
  }

  private evalArg(dot: unknown, typ: ParamType, n: Node): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (typ === 'any' || typ === '[]string') return null;
        if (typ === 'reflect') return undefined;
        this.errorf(`cannot assign nil to ${goTypeName(typ)}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, [], MISSING), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalCall(dot, n.ident, n, [n], MISSING), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, [], MISSING), typ);
    }
    switch (typ) {
      case 'bool':
        if (n.type === 'bool') return n.value;
        this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'string':
        if (n.type === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      case 'int':
        if (n.type === 'number' && n.isInt) return n.int;
        this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'float':
        if (n.type === 'number' && n.isFloat) return new GoFloat(n.float);
        this.errorf(`expected float; found ${nodeString(n)}`);
      case '[]string':
        break;
      case 'any':
      case 'reflect':
        switch (n.type) {
          case 'bool':
            return n.value;
          case 'number':
            return this.idealConstant(n);
          case 'string':
            return n.text;
        }
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${goTypeName(typ)}`);
  }
}
