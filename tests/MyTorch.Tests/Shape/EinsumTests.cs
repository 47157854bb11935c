using Xunit;

namespace MyTorch.Tests.Shape;

/// <summary>Einsum's and Outer's errors name the equation, the operand and its shape (values are checked against PyTorch in ShapeFixtureTests).</summary>
public class EinsumTests
{
    private static Tensor R(params int[] shape) => Tensor.Uniform(shape, -1, 1, new Generator(1), DType.Float64);

    [Theory]
    [InlineData("ij,jk->ik", "einsum('ij,jk->ik'): it names 2 operands but 1 was given.")]
    [InlineData("ijk->i", "einsum('ijk->i'): operand 1 has 3 letters ('ijk') but 2 dimensions, shape (3, 4).")]
    [InlineData("ij->ik", "einsum('ij->ik'): the output letter 'k' appears in no operand.")]
    [InlineData("ij->ii", "einsum('ij->ii'): the output repeats 'i'.")]
    [InlineData("i1->i", "einsum('i1->i'): '1' is not a letter.")]
    public void BadEquations_AreShapeErrorsNamingTheProblem(string equation, string message)
    {
        var error = Assert.Throws<TensorShapeException>(() => Tensor.Einsum(equation, R(3, 4)));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void SizesThatDisagree_AreNamed()
    {
        var error = Assert.Throws<TensorShapeException>(() => Tensor.Einsum("ij,jk->ik", R(3, 4), R(5, 2)));
        Assert.Equal("einsum('ij,jk->ik'): 'j' is 4 in one place and 5 in operand 2, shape (5, 2).", error.Message);
        Assert.Throws<TensorShapeException>(() => Tensor.Einsum("ii->i", R(3, 4)));
        Assert.Throws<TensorShapeException>(() => Tensor.Einsum("ij"));
    }

    [Fact]
    public void Outer_NeedsTwoVectors()
    {
        Assert.Equal([3, 2], Tensor.Outer(R(3), R(2)).Shape.ToArray());
        var error = Assert.Throws<TensorShapeException>(() => Tensor.Outer(R(3, 1), R(2)));
        Assert.Equal("outer: both operands must be 1-D, got (3, 1) and (2,).", error.Message);
    }

    [Fact]
    public void ALoneOperandInItsOwnOrder_IsReturnedAsIs_AndAScalarEquationWorks()
    {
        var x = R(2, 3);
        Assert.Same(x, Tensor.Einsum("ij->ij", x));
        Assert.Equal(x.Sum().Item(), Tensor.Einsum("ij->", x).Item());
        Assert.Equal(6.0, Tensor.Einsum(",->", Tensor.Scalar(2.0, DType.Float64), Tensor.Scalar(3.0, DType.Float64)).Item());
    }
}
