using System.Globalization;
using System.Numerics;

namespace MyTorch.Optim;

/// <summary>
/// Adagrad, computing what PyTorch's <c>torch.optim.Adagrad</c> computes. At a parameter W's t-th step (state "step"),
/// with gradient g:
/// <code>
/// g    = g + weightDecay * W                       (when weightDecay != 0)
/// clr  = lr / (1 + (t - 1) * lrDecay)
/// s    = s + g * g                                 (state "sum", starting at initialAccumulatorValue)
/// W    = W - clr * g / (sqrt(s) + eps)
/// </code>
/// The state is in <see cref="Optimizer.StateDict"/>, so a resumed run continues exactly.
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Adagrad over one set of parameters, with PyTorch's defaults.</summary>
    public Adagrad(IEnumerable<Tensor> parameters, double learningRate = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10)
        : this(OneGroup(parameters), learningRate, lrDecay, weightDecay, initialAccumulatorValue, eps) { }

    /// <summary>Adagrad over parameter groups; options a group does not set take these values.</summary>
    public Adagrad(IEnumerable<ParameterGroup> groups, double learningRate = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10)
        : base(groups, learningRate, new Dictionary<string, double>
        {
            ["lr_decay"] = lrDecay,
            ["weight_decay"] = weightDecay,
            ["initial_accumulator_value"] = initialAccumulatorValue,
            ["eps"] = eps,
        })
    {
        foreach (var group in ParamGroups)
        {
            CheckLearningRate(group.LearningRate, nameof(Adagrad));
            foreach (var name in new[] { "lr_decay", "weight_decay", "initial_accumulator_value", "eps" })
            {
                double value = group.Options[name];
                if (!(value >= 0) || double.IsInfinity(value))
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Adagrad: invalid {name}: {value} (must be 0 or more)."), name);
            }
        }
    }

    /// <inheritdoc/>
    protected override void Update(ParameterGroup group, Tensor parameter, Tensor gradient)
    {
        double step = ScalarState(parameter, "step") + 1;
        SetScalarState(parameter, "step", step);
        var options = group.Options;
        bool fresh = GetState(parameter, "sum") is null;
        var sum = State(parameter, "sum");
        if (fresh && options["initial_accumulator_value"] != 0) sum.Fill(options["initial_accumulator_value"]);
        double clr = group.LearningRate / (1 + (step - 1) * options["lr_decay"]);
        if (parameter.DType == DType.Float32)
            Apply<float>(parameter.F32, gradient.F32, sum.F32, clr, options["weight_decay"], options["eps"]);
        else
            Apply<double>(parameter.F64, gradient.F64, sum.F64, clr, options["weight_decay"], options["eps"]);
    }

    private static void Apply<T>(Span<T> w, ReadOnlySpan<T> gradient, Span<T> sum, double learningRate, double weightDecay, double epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T lr = T.CreateTruncating(learningRate), decay = T.CreateTruncating(weightDecay), eps = T.CreateTruncating(epsilon);
        bool decays = decay != T.Zero;
        for (int i = 0; i < w.Length; i++)
        {
            T g = decays ? gradient[i] + (w[i] * decay) : gradient[i];
            sum[i] += g * g;
            w[i] -= g / (T.Sqrt(sum[i]) + eps) * lr;
        }
    }
}
