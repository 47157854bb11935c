namespace MyTorch;

/// <summary>
/// Thrown when an operation is given tensors whose shapes (or element types) it cannot combine.
/// The message names the operation and every shape involved.
/// </summary>
public sealed class TensorShapeException : ArgumentException
{
    /// <summary>Creates the exception with a message that names the op and the shapes.</summary>
    public TensorShapeException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the parameter it concerns.</summary>
    public TensorShapeException(string message, string? paramName) : base(message, paramName) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TensorShapeException(string message, Exception innerException) : base(message, innerException) { }
}
