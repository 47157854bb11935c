using System.Globalization;

namespace MyTorch;

/// <summary>The outcome of a <see cref="GradCheck"/>: whether it passed, and the worst element found.</summary>
/// <param name="Passed">Whether every element was within tolerance.</param>
/// <param name="InputIndex">The input holding the worst element (-1 if there was nothing to check).</param>
/// <param name="ElementIndex">The multi-dimensional index of the worst element in that input.</param>
/// <param name="Analytic">The gradient autograd computed for that element.</param>
/// <param name="Numeric">The central finite-difference estimate for that element.</param>
/// <param name="AbsoluteError">|analytic - numeric| at that element.</param>
/// <param name="RelativeError">The absolute error divided by max(|numeric|, |analytic|, 1e-12).</param>
/// <param name="ElementsChecked">How many input elements were perturbed.</param>
public sealed record GradCheckResult(bool Passed, int InputIndex, int[] ElementIndex, double Analytic, double Numeric,
    double AbsoluteError, double RelativeError, int ElementsChecked)
{
    /// <summary>A one-line report naming the worst element and both values.</summary>
    public override string ToString() => InputIndex < 0
        ? "gradcheck: nothing to check"
        : string.Create(CultureInfo.InvariantCulture,
            $"gradcheck {(Passed ? "passed" : "FAILED")}: worst element is input {InputIndex} at {Shapes.Format(ElementIndex)}: " +
            $"analytic {Analytic:R}, numeric {Numeric:R} (abs error {AbsoluteError:E3}, rel error {RelativeError:E3}; {ElementsChecked} elements checked)");
}

/// <summary>
/// Checks autograd's gradients against central finite differences in float64:
/// dL/dx_i ≈ (L(x + h e_i) - L(x - h e_i)) / 2h, where L = sum(f(x) * r) for a fixed random r, so every
/// output element takes part with its own weight.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Compares analytic and numeric gradients of <paramref name="function"/> at <paramref name="inputs"/>
    /// (float64 tensors; those with RequiresGrad are checked). An element passes when
    /// |analytic - numeric| &lt;= <paramref name="absoluteTolerance"/> + <paramref name="relativeTolerance"/> * |numeric|.
    /// </summary>
    public static GradCheckResult Check(Func<Tensor[], Tensor> function, Tensor[] inputs, double step = 1e-6,
        double absoluteTolerance = 1e-6, double relativeTolerance = 1e-5, ulong seed = 1234)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i].DType != DType.Float64 && inputs[i].RequiresGrad)
                throw new ArgumentException(
                    $"GradCheck: input {i} is {inputs[i].DType.Name()}; finite differences need float64 inputs (use To(DType.Float64)).", nameof(inputs));
        }
        var checkedInputs = inputs.Select((t, i) => (t, i)).Where(p => p.t.RequiresGrad).ToArray();
        if (checkedInputs.Length == 0)
            throw new ArgumentException("GradCheck: no input has RequiresGrad set, so there is nothing to check.", nameof(inputs));

        var output = function(inputs);
        if (output.DType != DType.Float64)
            throw new ArgumentException($"GradCheck: the function returned {output.DType.Name()}; it must compute in float64.", nameof(function));
        var weights = Tensor.Uniform(output.ShapeArray, -1, 1, new Generator(seed), DType.Float64);
        Tensor Objective(Tensor[] args) => (function(args) * weights).Sum();

        var analytic = Autograd.Grad([Objective(inputs)], checkedInputs.Select(p => p.t).ToArray(), materializeGrads: true);

        var worst = new GradCheckResult(true, -1, [], 0, 0, 0, 0, 0);
        double worstScore = -1;
        bool passed = true;
        int elements = 0;
        using (Autograd.NoGrad())
        {
            for (int c = 0; c < checkedInputs.Length; c++)
            {
                var (input, inputIndex) = checkedInputs[c];
                var values = input.F64;
                var grad = analytic[c]!.F64;
                for (int e = 0; e < values.Length; e++)
                {
                    double original = values[e];
                    values[e] = original + step;
                    double plus = Objective(inputs).Item();
                    values[e] = original - step;
                    double minus = Objective(inputs).Item();
                    values[e] = original;
                    double numeric = (plus - minus) / (2 * step);
                    double error = Math.Abs(grad[e] - numeric);
                    double allowed = absoluteTolerance + relativeTolerance * Math.Abs(numeric);
                    bool ok = error <= allowed;
                    passed &= ok;
                    elements++;
                    double score = double.IsNaN(error) ? double.PositiveInfinity : error / allowed;
                    if (score > worstScore)
                    {
                        worstScore = score;
                        double relative = error / Math.Max(Math.Max(Math.Abs(numeric), Math.Abs(grad[e])), 1e-12);
                        worst = new GradCheckResult(ok, inputIndex, UnravelIndex(e, input.ShapeArray), grad[e], numeric, error, relative, 0);
                    }
                }
            }
        }
        return worst with { Passed = passed, ElementsChecked = elements };
    }

    /// <summary>Like <see cref="Check"/>, but throws an <see cref="InvalidOperationException"/> with the report when the check fails.</summary>
    public static GradCheckResult Assert(Func<Tensor[], Tensor> function, Tensor[] inputs, double step = 1e-6,
        double absoluteTolerance = 1e-6, double relativeTolerance = 1e-5)
    {
        var result = Check(function, inputs, step, absoluteTolerance, relativeTolerance);
        if (!result.Passed) throw new InvalidOperationException(result.ToString());
        return result;
    }

    private static int[] UnravelIndex(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }
}
