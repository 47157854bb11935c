using System.Numerics;
using MyTorch.Compiled;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>A test of each element's value (is it NaN?), 1 where it holds, else 0, in the input's dtype (PyTorch: bool).</summary>
    internal interface IValueTest
    {
        static abstract bool Holds<T>(T value) where T : INumberBase<T>;
    }

    /// <summary>The registry entry and the runner of an <see cref="IValueTest"/>: not differentiable, any dtype.</summary>
    internal abstract class ValueTestOp<TSelf> : OpDefinition where TSelf : ValueTestOp<TSelf>, IValueTest
    {
        public override OpNotation Notation => notation ??= new($"{Name}({{0}})", ["0 (not differentiable)"], ["none"], true);

        private OpNotation? notation;

        /// <summary>1 where the test holds, else 0; not recorded in the graph.</summary>
        public static Tensor Apply(Tensor x)
        {
            ArgumentNullException.ThrowIfNull(x);
            var y = Tensor.EmptyLike(x);
            Recording.Launch((x, y), Launch);
            return y;
        }

        private static readonly Action<(Tensor X, Tensor Y)> Launch = static s =>
        {
            switch (s.X.DType)
            {
                case DType.Float32: Run<float>(s.X.F32, s.Y.F32); break;
                case DType.Float64: Run<double>(s.X.F64, s.Y.F64); break;
                default: Run<long>(s.X.I64, s.Y.I64); break;
            }
        };

        private static void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : INumberBase<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = TSelf.Holds(x[i]) ? T.One : T.Zero;
        }
    }

    /// <summary>isnan(x); integers are never NaN.</summary>
    internal sealed class IsNanOp : ValueTestOp<IsNanOp>, IValueTest
    {
        public override string Name => "isnan";

        public static bool Holds<T>(T value) where T : INumberBase<T> => T.IsNaN(value);
    }

    /// <summary>isinf(x): ±infinity; integers are never infinite.</summary>
    internal sealed class IsInfOp : ValueTestOp<IsInfOp>, IValueTest
    {
        public override string Name => "isinf";

        public static bool Holds<T>(T value) where T : INumberBase<T> => T.IsInfinity(value);
    }

    /// <summary>isfinite(x): neither NaN nor infinite; integers always are.</summary>
    internal sealed class IsFiniteOp : ValueTestOp<IsFiniteOp>, IValueTest
    {
        public override string Name => "isfinite";

        public static bool Holds<T>(T value) where T : INumberBase<T> => T.IsFinite(value);
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>1 where an element is NaN, else 0, in this tensor's dtype (PyTorch: bool). Not differentiable.</summary>
        public Tensor IsNan() => Ops.IsNanOp.Apply(this);

        /// <summary>1 where an element is +infinity or -infinity, else 0, in this tensor's dtype. Not differentiable.</summary>
        public Tensor IsInf() => Ops.IsInfOp.Apply(this);

        /// <summary>1 where an element is neither NaN nor infinite, else 0, in this tensor's dtype. Not differentiable.</summary>
        public Tensor IsFinite() => Ops.IsFiniteOp.Apply(this);
    }
}
