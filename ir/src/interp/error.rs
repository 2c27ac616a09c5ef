//! Why an evaluation failed.

/// An evaluation that could not finish: what went wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A graph input was not given.
    #[error("input '{name}' is not given")]
    MissingInput { name: String },
    /// A tensor was given under a name that is not an input of the graph.
    #[error("'{name}' is not an input of the graph")]
    UnknownInput { name: String },
    /// An input tensor has another dtype or shape than the graph declares (`f32[2, 3]`).
    #[error("input '{name}' must be {expected}, got {found}")]
    InputMismatch {
        name: String,
        expected: String,
        found: String,
    },
    /// An integer `idiv` or `mod` met a zero divisor; `node` is e.g. `n5 (idiv)`.
    #[error("division by zero in {node}")]
    DivisionByZero { node: String },
    /// A tensor (a node's result, or one being built) has more than [`super::ELEMENT_LIMIT`]
    /// elements; it is refused instead of exhausting memory.
    #[error("{what} has {elements} elements; the reference interpreter handles at most {limit}")]
    TooLarge {
        what: String,
        elements: usize,
        limit: usize,
    },
    /// A tensor whose data does not fit its dtype or shape.
    #[error("bad tensor: {message}")]
    BadTensor { message: String },
    /// A graph breaking a rule the builder guarantees (operand dtypes, shapes, order);
    /// only a graph assembled by other means can produce it.
    #[error("{node}: {message}")]
    BadGraph { node: String, message: String },
}
