using System.Globalization;
using System.Numerics;

namespace MyTorch.Optim;

/// <summary>
/// The math <see cref="Adam"/> and <see cref="AdamW"/> share: their options, the checks on them, and the
/// element-wise update, written in the order PyTorch's single-tensor Adam applies its in-place ops so that
/// float32 results round the same way.
/// </summary>
internal static class AdamUpdate
{
    internal const string Beta1 = "beta1";
    internal const string Beta2 = "beta2";
    internal const string Eps = "eps";
    internal const string WeightDecay = "weight_decay";
    internal const string Amsgrad = "amsgrad";
    internal const string Step = "step";
    internal const string ExpAvg = "exp_avg";
    internal const string ExpAvgSq = "exp_avg_sq";
    internal const string MaxExpAvgSq = "max_exp_avg_sq";

    /// <summary>The group options both optimizers fill in for groups that do not set them.</summary>
    internal static Dictionary<string, double> Defaults(double beta1, double beta2, double eps, double weightDecay, bool amsgrad) => new()
    {
        [Beta1] = beta1,
        [Beta2] = beta2,
        [Eps] = eps,
        [WeightDecay] = weightDecay,
        [Amsgrad] = amsgrad ? 1 : 0,
    };

    /// <summary>Checks a group's betas, eps and weight decay (the caller checks its learning rate).</summary>
    internal static void Validate(ParameterGroup group, string optimizer)
    {
        CheckBeta(group.Options[Beta1], optimizer, "beta1");
        CheckBeta(group.Options[Beta2], optimizer, "beta2");
        CheckNonNegative(group.Options[Eps], optimizer, "eps", "eps");
        CheckNonNegative(group.Options[WeightDecay], optimizer, "weight decay", "weightDecay");
    }

    private static void CheckBeta(double beta, string optimizer, string name)
    {
        if (!(beta >= 0 && beta < 1))
            throw new ArgumentException($"{optimizer}: invalid {name}: {Format(beta)} (must be in [0, 1)).", name);
    }

    private static void CheckNonNegative(double value, string optimizer, string name, string parameterName)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentException($"{optimizer}: invalid {name}: {Format(value)} (must be non-negative and finite).", parameterName);
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// One Adam step of one parameter, its <paramref name="step"/>-th (counting from 1). With
    /// <paramref name="decoupled"/> the weight decay shrinks the weights (AdamW); otherwise it is added to the
    /// gradient as an L2 penalty (Adam). <paramref name="maxExpAvgSq"/> is non-null exactly when amsgrad is on.
    /// </summary>
    internal static void Apply(string optimizer, ParameterGroup group, Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq,
        Tensor? maxExpAvgSq, double step, bool decoupled)
    {
        if (!Shapes.Equal(parameter.Shape, gradient.Shape) || parameter.DType != gradient.DType)
            throw new TensorShapeException($"{optimizer}.Step: the gradient ({Shapes.Format(gradient.Shape)} {gradient.DType.Name()}) does not match " +
                $"its parameter ({Shapes.Format(parameter.Shape)} {parameter.DType.Name()}).");
        double lr = group.LearningRate, beta1 = group.Options[Beta1], beta2 = group.Options[Beta2];
        var coefficients = new Coefficients(
            DecayFactor: decoupled ? 1 - lr * group.Options[WeightDecay] : 1,
            L2: decoupled ? 0 : group.Options[WeightDecay],
            Beta1: beta1,
            Beta2: beta2,
            NegativeStepSize: -(lr / (1 - Math.Pow(beta1, step))),
            BiasCorrection2Sqrt: Math.Sqrt(1 - Math.Pow(beta2, step)),
            Eps: group.Options[Eps]);
        switch (parameter.DType)
        {
            case DType.Float32:
                Run(parameter.F32, gradient.F32, expAvg.F32, expAvgSq.F32, maxExpAvgSq is null ? default : maxExpAvgSq.F32, coefficients);
                break;
            case DType.Float64:
                Run(parameter.F64, gradient.F64, expAvg.F64, expAvgSq.F64, maxExpAvgSq is null ? default : maxExpAvgSq.F64, coefficients);
                break;
            default:
                Tensor.ThrowNotFloat($"{optimizer}.Step", parameter);
                break;
        }
    }

    /// <summary>The per-step scalars, in double; <see cref="Run{T}"/> rounds each to T once, as PyTorch does.</summary>
    private readonly record struct Coefficients(double DecayFactor, double L2, double Beta1, double Beta2, double NegativeStepSize,
        double BiasCorrection2Sqrt, double Eps);

    private static void Run<T>(Span<T> parameter, ReadOnlySpan<T> gradient, Span<T> expAvg, Span<T> expAvgSq, Span<T> maxExpAvgSq,
        in Coefficients c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool decay = c.DecayFactor != 1, l2 = c.L2 != 0, amsgrad = !maxExpAvgSq.IsEmpty;
        T decayFactor = T.CreateTruncating(c.DecayFactor), weightDecay = T.CreateTruncating(c.L2);
        T beta1 = T.CreateTruncating(c.Beta1), oneMinusBeta1 = T.CreateTruncating(1 - c.Beta1);
        T beta2 = T.CreateTruncating(c.Beta2), oneMinusBeta2 = T.CreateTruncating(1 - c.Beta2);
        T negativeStepSize = T.CreateTruncating(c.NegativeStepSize), biasCorrection2Sqrt = T.CreateTruncating(c.BiasCorrection2Sqrt);
        T eps = T.CreateTruncating(c.Eps);
        for (int i = 0; i < parameter.Length; i++)
        {
            T w = parameter[i], g = gradient[i];
            if (decay) w *= decayFactor;                                  // param.mul_(1 - lr * weight_decay)
            if (l2) g += weightDecay * w;                                 // grad = grad.add(param, alpha=weight_decay)
            T m = expAvg[i] * beta1 + oneMinusBeta1 * g;                  // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
            T v = expAvgSq[i] * beta2 + oneMinusBeta2 * g * g;            // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            expAvg[i] = m;
            expAvgSq[i] = v;
            if (amsgrad) v = maxExpAvgSq[i] = T.Max(maxExpAvgSq[i], v);  // torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            T denominator = T.Sqrt(v) / biasCorrection2Sqrt + eps;        // (v.sqrt() / bias_correction2_sqrt).add_(eps)
            parameter[i] = w + negativeStepSize * m / denominator;        // param.addcdiv_(exp_avg, denom, value=-step_size)
        }
    }
}
