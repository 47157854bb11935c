using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>clone: a copy with its own storage; the gradient is the identity.</summary>
    internal sealed class CloneOp : OpDefinition
    {
        public override string Name => "clone";

        public override OpNotation Notation { get; } = new("clone({0})", ["1"], ["{g}"], true);

        public override IEnumerable<GradCheckCase> GradCheckCases =>
            [ShapeCases.Case("clone", "(3, 4)", () => [ShapeCases.R(42, 3, 4)], x => x[0].Clone())];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>A copy with its own storage, in the graph like any op (its gradient is the identity).</summary>
        public Tensor Clone()
        {
            var result = Empty((int[])shape.Clone(), DType, "clone");
            Compiled.Recording.Launch((x: this, result), static s => System.Array.Copy(s.x.Values, s.result.Values, s.result.Count));
            return Autograd.Record(result, "clone", [this], g => [g], SavedTensors.None);
        }
    }
}
