//! `ss`'s filter language: parsed into a typed [`Expr`], compiled to
//! `INET_DIAG_REQ_BYTECODE` for the kernel, or evaluated in user space.
//!
//! ```
//! use sockdiag::filter::Filter;
//! let f = Filter::parse_str("dport = :443 and ( dst 10.0.0.0/8 or dst [fe80::]/10 )").unwrap();
//! assert!(f.bytecode().is_some());
//! ```
//!
//! Grammar (words as `ss` splits them: on spaces and tabs, `\` escapes):
//!
//! ```text
//! expr    := and ( ('|' | '||' | 'or') and )*
//! and     := unary ( ('&' | '&&' | 'and')? unary )*
//! unary   := ('!' | 'not') unary | '(' expr ')' | pred
//! pred    := ('src' | 'dst') ['=' | '==' | 'eq'] HOST
//!          | ('sport' | 'dport') OP PORT
//!          | 'dev' ('=' | '!=') IFACE | 'fwmark' ('=' | '!=') MARK[/MASK]
//!          | 'cgroup' ('=' | '!=') PATH | 'autobound'
//! OP      := '=' '==' 'eq' | '!=' 'ne' 'neq' | '>=' 'ge' 'geq' | '<=' 'le' 'leq' | '>' 'gt' | '<' 'lt' | nothing (=)
//! ```
//!
//! `and` binds tighter than `or`, as `ss`'s manual documents. (iproute2's
//! yacc grammar in fact gives `and` and `or` the same precedence and
//! evaluates left to right; `a or b and c` is `a or (b and c)` here and
//! `(a or b) and c` there. Use parentheses to be portable.)
//!
//! The compiler follows the kernel's bytecode model (`inet_diag_bc_run`):
//! a program accepts a socket when execution runs exactly off its end; a
//! failed test jumps to four bytes past the end. Every program is checked
//! by [`audit`], a port of the kernel's `inet_diag_bc_audit`, before it is
//! returned, so the kernel never sees a bad jump.
//!
//! The module is split by job, and the data flows one way: words (split
//! as [`crate::ss`] says) are parsed (`parse`) into an [`Expr`] (`ast`), which is either
//! compiled to kernel bytecode and checked (`bytecode`) or evaluated on a
//! [`Socket`] in user space (`eval`), with what the namespace
//! contributes read once (`context`); [`Filter`] holds the result.
#![deny(unsafe_code)]

mod ast;
#[cfg(test)]
mod ast_tests;
mod bytecode;
#[cfg(test)]
mod bytecode_tests;
mod context;
mod eval;
#[cfg(test)]
mod eval_tests;
mod parse;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod port_boundary_tests;
#[cfg(test)]
mod resolver_tests;
#[cfg(test)]
mod tests;

pub use ast::{CondFamily, Expr, FilterError, HostCond};
#[cfg(any(test, feature = "internals"))]
#[doc(hidden)]
pub use bytecode::run_bytecode;
pub use bytecode::{BytecodeError, audit};
pub use context::FilterContext;
pub use eval::glob_match;
pub use parse::{MAX_DEPTH, MAX_WORDS, Resolver, SystemResolver, parse_with};

use ast::*;
use bytecode::*;
#[cfg(any(test, feature = "internals"))]
use eval::*;

use crate::model::Socket;
use crate::ss::split_words;

// ---------------------------------------------------------------- the filter

/// A parsed filter with its kernel program, ready to attach to a query.
///
/// ```
/// use sockdiag::filter::{Filter, FilterContext};
/// let f = Filter::parse_str("sport = :22")?;
/// assert!(f.bytecode().is_some());
/// let s = sockdiag::Socket::new(sockdiag::Table::Tcp, sockdiag::Family::Inet, sockdiag::State::Listen);
/// assert!(!f.matches(&s));
/// // The same expression judged in another namespace's context:
/// let g = f.with_context(FilterContext::new((1000, 2000)))?;
/// assert_eq!(g.context().local_port_range(), (1000, 2000));
/// # Ok::<(), sockdiag::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filter {
    expr: Expr,
    ctx: FilterContext,
    bytecode: Option<Vec<u8>>,
}

impl Filter {
    /// Builds a filter from an expression, compiling it when the kernel can
    /// run it, in the context of the calling thread's namespace (read only
    /// when the expression needs one, see [`Expr::needs_context`]).
    ///
    /// A program the kernel would refuse ([`audit`] fails, for example a
    /// prefix longer than its address, or a program longer than 64 KiB) is
    /// an error, not a silent fallback.
    pub fn new(expr: Expr) -> Result<Filter, FilterError> {
        let ctx = if expr.needs_context() {
            FilterContext::current()
        } else {
            FilterContext::default()
        };
        Filter::in_context(expr, ctx)
    }

    /// Builds a filter judged in `ctx` (see [`Filter::new`]).
    pub fn in_context(expr: Expr, ctx: FilterContext) -> Result<Filter, FilterError> {
        let bytecode = if expr.kernel_compatible() {
            compile(&expr, &ctx)
        } else {
            None
        };
        if let Some(b) = &bytecode {
            if b.len() > u16::MAX as usize {
                return err(format!(
                    "filter too large for the kernel ({} bytes of bytecode, at most {})",
                    b.len(),
                    u16::MAX
                ));
            }
            if let Err(e) = audit(b) {
                return err(format!("filter rejected: {e}"));
            }
        }
        Ok(Filter {
            expr,
            ctx,
            bytecode,
        })
    }

    /// The same expression in another context (recompiled).
    pub fn with_context(&self, ctx: FilterContext) -> Result<Filter, FilterError> {
        Filter::in_context(self.expr.clone(), ctx)
    }

    /// Parses filter words (`ss`'s arguments after the options) with the
    /// system resolver; `Ok(None)` for no words.
    pub fn parse(words: &[String]) -> Result<Option<Filter>, FilterError> {
        parse_with(words, &SystemResolver)?
            .map(Filter::new)
            .transpose()
    }

    /// Parses a filter written as one string.
    pub fn parse_str(text: &str) -> Result<Filter, FilterError> {
        match Filter::parse(&split_words(text))? {
            Some(f) => Ok(f),
            None => err("empty filter"),
        }
    }

    /// The expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The context the filter is judged in.
    pub fn context(&self) -> &FilterContext {
        &self.ctx
    }

    /// The kernel program, when the whole expression compiles.
    pub fn bytecode(&self) -> Option<&[u8]> {
        self.bytecode.as_deref()
    }

    /// Evaluates in user space, in the filter's context. Pure: no I/O.
    pub fn matches(&self, s: &Socket) -> bool {
        self.expr.matches(s, &self.ctx)
    }
}
