namespace MyTorch.NN;

/// <summary>
/// A skip connection, y = x + f(x) (seed 000, question 6): the identity path lets information and gradients
/// flow past <see cref="Inner"/>, which helps deep networks train.
/// </summary>
public sealed class Residual : Module
{
    /// <summary>Wraps <paramref name="inner"/>, which must keep the shape of its input.</summary>
    public Residual(Module inner) => Inner = RegisterModule("inner", inner);

    /// <summary>The wrapped block f.</summary>
    public Module Inner { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var f = Inner.Call(input);
        if (!Shapes.Equal(f.Shape, input.Shape))
            throw new TensorShapeException(
                $"Residual: the inner block changed the shape from {Shapes.Format(input.Shape)} to {Shapes.Format(f.Shape)}; x + f(x) needs them equal.");
        return input + f;
    }
}
