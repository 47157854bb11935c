using MyTorch.Ops;
using Xunit;

namespace MyTorch.Tests.Ops;

/// <summary>Every broadcasting binary op declared in one file brings its notation and its passing gradient checks.</summary>
public class BinaryOpTests
{
    public static TheoryData<string> Names() => ["add", "sub", "mul", "div"];

    [Theory]
    [MemberData(nameof(Names))]
    public void EachOp_BringsItsNotationAndGradientChecks(string name)
    {
        var op = OpRegistry.Find(name)!;
        Assert.Equal(2, op.Notation.Local.Length);
        Assert.Same(op.Notation, MyTorch.Visualization.OpNotation.For(name, 2));
        var cases = op.GradCheckCases.ToArray();
        Assert.Equal(3, cases.Length); // same shapes, broadcasting, a 0-d operand
        foreach (var c in cases)
            Assert.True(GradCheck.Check(c.Function, c.Inputs(), c.Step).Passed, $"{name} {c.Variant}");
        Assert.Equal(3, MyTorch.Diagnostics.GradCheckSuite.Cases.Count(c => c.Name == name));
    }
}
