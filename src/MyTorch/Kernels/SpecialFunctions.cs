namespace MyTorch.Kernels;

/// <summary>Special functions .NET's Math lacks, accurate to double precision.</summary>
/// <remarks>
/// Erf and Erfc are derived from FreeBSD/fdlibm s_erf.c, Copyright (C) 1993 by Sun Microsystems,
/// freely distributable. The original notice reads:
/// <code>
/// ====================================================
/// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
///
/// Developed at SunPro, a Sun Microsystems, Inc. business.
/// Permission to use, copy, modify, and distribute this
/// software is freely granted, provided that this notice
/// is preserved.
/// ====================================================
/// </code>
/// Method (from the original source):
/// <list type="number">
/// <item>|x| in [0, 0.84375]: erf(x) = x + x*R(x^2), R = P/Q rational; erfc(x) = 1 - erf(x) for x &lt; 1/4,
/// else 0.5 + ((0.5 - x) - x*R).</item>
/// <item>|x| in [0.84375, 1.25]: with s = |x| - 1 and c = 0.84506291151 rounded to single,
/// erf(x) = sign(x) * (c + P1(s)/Q1(s)); erfc(x) = (1 - c) - P1/Q1 for x &gt; 0, 1 + (c + P1/Q1) for x &lt; 0.</item>
/// <item>|x| in [1.25, 1/0.35]: erfc(x) = (1/x) * exp(-x*x - 0.5625 + R1/S1), erf(x) = 1 - erfc(x).</item>
/// <item>|x| in [1/0.35, 28]: erfc(x) = (1/x) * exp(-x*x - 0.5625 + R2/S2) for x &gt; 0,
/// 2 - that for -6 &lt; x &lt; 0, and 2 for x &lt;= -6; erf(x) = sign(x) * (1 - erfc(|x|)) for |x| &lt; 6, else ±1.</item>
/// <item>|x| &gt;= 28: erf(x) = ±1, erfc(x) = 0 (x &gt; 0) or 2 (x &lt; 0).</item>
/// </list>
/// exp(-x*x) is evaluated as exp(-z*z) * exp((z - x)*(z + x)) with z = x truncated to its high word,
/// so that -z*z is exact.
/// </remarks>
internal static class SpecialFunctions
{
    // The original declares tiny volatile to stop constant folding (it only matters for raising the
    // IEEE inexact/underflow flags, which .NET does not expose); the returned values are the same.
    private const double Tiny = 1e-300;
    private const double Half = 0.5;
    private const double One = 1.0;
    private const double Two = 2.0;

    // c = (float)0.84506291151
    private const double Erx = 8.45062911510467529297e-01; // 0x3FEB0AC1, 0x60000000

    // In [0, 2**-28] only the first term of the power series of erf(x) is used.
    private const double Efx = 1.28379167095512586316e-01; // 0x3FC06EBA, 0x8214DB69
    private const double Efx8 = 1.02703333676410069053e+00; // 0x3FF06EBA, 0x8214DB69

    // Coefficients for approximation to erf on [0, 0.84375].
    private const double Pp0 = 1.28379167095512558561e-01; // 0x3FC06EBA, 0x8214DB68
    private const double Pp1 = -3.25042107247001499370e-01; // 0xBFD4CD7D, 0x691CB913
    private const double Pp2 = -2.84817495755985104766e-02; // 0xBF9D2A51, 0xDBD7194F
    private const double Pp3 = -5.77027029648944159157e-03; // 0xBF77A291, 0x236668E4
    private const double Pp4 = -2.37630166566501626084e-05; // 0xBEF8EAD6, 0x120016AC
    private const double Qq1 = 3.97917223959155352819e-01; // 0x3FD97779, 0xCDDADC09
    private const double Qq2 = 6.50222499887672944485e-02; // 0x3FB0A54C, 0x5536CEBA
    private const double Qq3 = 5.08130628187576562776e-03; // 0x3F74D022, 0xC4D36B0F
    private const double Qq4 = 1.32494738004321644526e-04; // 0x3F215DC9, 0x221C1A10
    private const double Qq5 = -3.96022827877536812320e-06; // 0xBED09C43, 0x42A26120

    // Coefficients for approximation to erf in [0.84375, 1.25].
    private const double Pa0 = -2.36211856075265944077e-03; // 0xBF6359B8, 0xBEF77538
    private const double Pa1 = 4.14856118683748331666e-01; // 0x3FDA8D00, 0xAD92B34D
    private const double Pa2 = -3.72207876035701323847e-01; // 0xBFD7D240, 0xFBB8C3F1
    private const double Pa3 = 3.18346619901161753674e-01; // 0x3FD45FCA, 0x805120E4
    private const double Pa4 = -1.10894694282396677476e-01; // 0xBFBC6398, 0x3D3E28EC
    private const double Pa5 = 3.54783043256182359371e-02; // 0x3FA22A36, 0x599795EB
    private const double Pa6 = -2.16637559486879084300e-03; // 0xBF61BF38, 0x0A96073F
    private const double Qa1 = 1.06420880400844228286e-01; // 0x3FBB3E66, 0x18EEE323
    private const double Qa2 = 5.40397917702171048937e-01; // 0x3FE14AF0, 0x92EB6F33
    private const double Qa3 = 7.18286544141962662868e-02; // 0x3FB2635C, 0xD99FE9A7
    private const double Qa4 = 1.26171219808761642112e-01; // 0x3FC02660, 0xE763351F
    private const double Qa5 = 1.36370839120290507362e-02; // 0x3F8BEDC2, 0x6B51DD1C
    private const double Qa6 = 1.19844998467991074170e-02; // 0x3F888B54, 0x5735151D

    // Coefficients for approximation to erfc in [1.25, 1/0.35].
    private const double Ra0 = -9.86494403484714822705e-03; // 0xBF843412, 0x600D6435
    private const double Ra1 = -6.93858572707181764372e-01; // 0xBFE63416, 0xE4BA7360
    private const double Ra2 = -1.05586262253232909814e+01; // 0xC0251E04, 0x41B0E726
    private const double Ra3 = -6.23753324503260060396e+01; // 0xC04F300A, 0xE4CBA38D
    private const double Ra4 = -1.62396669462573470355e+02; // 0xC0644CB1, 0x84282266
    private const double Ra5 = -1.84605092906711035994e+02; // 0xC067135C, 0xEBCCABB2
    private const double Ra6 = -8.12874355063065934246e+01; // 0xC0545265, 0x57E4D2F2
    private const double Ra7 = -9.81432934416914548592e+00; // 0xC023A0EF, 0xC69AC25C
    private const double Sa1 = 1.96512716674392571292e+01; // 0x4033A6B9, 0xBD707687
    private const double Sa2 = 1.37657754143519042600e+02; // 0x4061350C, 0x526AE721
    private const double Sa3 = 4.34565877475229228821e+02; // 0x407B290D, 0xD58A1A71
    private const double Sa4 = 6.45387271733267880336e+02; // 0x40842B19, 0x21EC2868
    private const double Sa5 = 4.29008140027567833386e+02; // 0x407AD021, 0x57700314
    private const double Sa6 = 1.08635005541779435134e+02; // 0x405B28A3, 0xEE48AE2C
    private const double Sa7 = 6.57024977031928170135e+00; // 0x401A47EF, 0x8E484A93
    private const double Sa8 = -6.04244152148580987438e-02; // 0xBFAEEFF2, 0xEE749A62

    // Coefficients for approximation to erfc in [1/0.35, 28].
    private const double Rb0 = -9.86494292470009928597e-03; // 0xBF843412, 0x39E86F4A
    private const double Rb1 = -7.99283237680523006574e-01; // 0xBFE993BA, 0x70C285DE
    private const double Rb2 = -1.77579549177547519889e+01; // 0xC031C209, 0x555F995A
    private const double Rb3 = -1.60636384855821916062e+02; // 0xC064145D, 0x43C5ED98
    private const double Rb4 = -6.37566443368389627722e+02; // 0xC083EC88, 0x1375F228
    private const double Rb5 = -1.02509513161107724954e+03; // 0xC0900461, 0x6A2E5992
    private const double Rb6 = -4.83519191608651397019e+02; // 0xC07E384E, 0x9BDC383F
    private const double Sb1 = 3.03380607434824582924e+01; // 0x403E568B, 0x261D5190
    private const double Sb2 = 3.25792512996573918826e+02; // 0x40745CAE, 0x221B9F0A
    private const double Sb3 = 1.53672958608443695994e+03; // 0x409802EB, 0x189D5118
    private const double Sb4 = 3.19985821950859553908e+03; // 0x40A8FFB7, 0x688C246A
    private const double Sb5 = 2.55305040643316442583e+03; // 0x40A3F219, 0xCEDF3BE6
    private const double Sb6 = 4.74528541206955367215e+02; // 0x407DA874, 0xE79FE763
    private const double Sb7 = -2.24409524465858183362e+01; // 0xC03670E2, 0x42712D62

    /// <summary>The error function erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t*t) dt.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>erf(x), to within about one ulp; NaN for NaN, ±1 for ±infinity, and ±0 for ±0.</returns>
    public static double Erf(double x)
    {
        int hx = HighWord(x);
        int ix = hx & 0x7fffffff;
        if (ix >= 0x7ff00000)
        {
            // erf(nan) = nan, erf(+-inf) = +-1
            int i = (int)(((uint)hx >> 31) << 1);
            return (1 - i) + (One / x);
        }

        if (ix < 0x3feb0000)
        {
            // |x| < 0.84375
            if (ix < 0x3e300000)
            {
                // |x| < 2**-28
                if (ix < 0x00800000)
                {
                    return ((8 * x) + (Efx8 * x)) / 8; // avoid spurious underflow
                }

                return x + (Efx * x);
            }

            double z = x * x;
            double r = Pp0 + (z * (Pp1 + (z * (Pp2 + (z * (Pp3 + (z * Pp4)))))));
            double s = One + (z * (Qq1 + (z * (Qq2 + (z * (Qq3 + (z * (Qq4 + (z * Qq5)))))))));
            double y = r / s;
            return x + (x * y);
        }

        if (ix < 0x3ff40000)
        {
            // 0.84375 <= |x| < 1.25
            double s = Math.Abs(x) - One;
            double p = ErxNumerator(s);
            double q = ErxDenominator(s);
            return hx >= 0 ? Erx + (p / q) : -Erx - (p / q);
        }

        if (ix >= 0x40180000)
        {
            // inf > |x| >= 6
            return hx >= 0 ? One - Tiny : Tiny - One;
        }

        x = Math.Abs(x);
        double rr = TailExp(x, ix < 0x4006DB6E); // |x| < 1/0.35
        return hx >= 0 ? One - (rr / x) : (rr / x) - One;
    }

    /// <summary>The complementary error function erfc(x) = 1 - erf(x), computed without cancellation.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>erfc(x), to within a few ulps; NaN for NaN, 0 for +infinity, 2 for -infinity.</returns>
    public static double Erfc(double x)
    {
        int hx = HighWord(x);
        int ix = hx & 0x7fffffff;
        if (ix >= 0x7ff00000)
        {
            // erfc(nan) = nan, erfc(+-inf) = 0, 2
            return (int)(((uint)hx >> 31) << 1) + (One / x);
        }

        if (ix < 0x3feb0000)
        {
            // |x| < 0.84375
            if (ix < 0x3c700000)
            {
                // |x| < 2**-56
                return One - x;
            }

            double z = x * x;
            double r = Pp0 + (z * (Pp1 + (z * (Pp2 + (z * (Pp3 + (z * Pp4)))))));
            double s = One + (z * (Qq1 + (z * (Qq2 + (z * (Qq3 + (z * (Qq4 + (z * Qq5)))))))));
            double y = r / s;
            if (hx < 0x3fd00000)
            {
                // x < 1/4
                return One - (x + (x * y));
            }

            r = x * y;
            r += x - Half;
            return Half - r;
        }

        if (ix < 0x3ff40000)
        {
            // 0.84375 <= |x| < 1.25
            double s = Math.Abs(x) - One;
            double p = ErxNumerator(s);
            double q = ErxDenominator(s);
            if (hx >= 0)
            {
                double z = One - Erx;
                return z - (p / q);
            }
            else
            {
                double z = Erx + (p / q);
                return One + z;
            }
        }

        if (ix < 0x403c0000)
        {
            // |x| < 28
            if (hx < 0 && ix >= 0x40180000)
            {
                return Two - Tiny; // x <= -6
            }

            x = Math.Abs(x);
            double r = TailExp(x, ix < 0x4006DB6D); // |x| < 1/0.35 ~ 2.857143
            return hx > 0 ? r / x : Two - (r / x);
        }

        return hx > 0 ? Tiny * Tiny : Two - Tiny;
    }

    /// <summary>log(1 + x), accurate for tiny x (Goldberg's correction of the rounding in 1 + x): .NET's LogP1 evaluates
    /// log(1 + x) as written, which is 0 once 1 + x rounds to 1.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>log1p(x): -infinity at -1, NaN below, ±0 for ±0, +infinity for +infinity.</returns>
    public static double Log1p(double x)
    {
        double u = One + x;
        if (u == One) return x; // keeps -0 and tiny x exact
        if (double.IsInfinity(u)) return Math.Log(u);
        return Math.Log(u) * x / (u - One);
    }

    /// <summary>e^x - 1, accurate for tiny x (Kahan's correction of the rounding in e^x): .NET's ExpM1 is e^x - 1 as
    /// written, which loses the relative accuracy of small results.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>expm1(x): -1 for large negative x, ±0 for ±0, +infinity for large x.</returns>
    public static double Expm1(double x)
    {
        double u = Math.Exp(x);
        if (u == One) return x; // keeps -0 and tiny x exact
        double um1 = u - One;
        if (um1 == -One || double.IsInfinity(u)) return um1;
        return um1 * x / Math.Log(u);
    }

    /// <summary>P1(s) for |x| in [0.84375, 1.25], s = |x| - 1.</summary>
    private static double ErxNumerator(double s) =>
        Pa0 + (s * (Pa1 + (s * (Pa2 + (s * (Pa3 + (s * (Pa4 + (s * (Pa5 + (s * Pa6)))))))))));

    /// <summary>Q1(s) for |x| in [0.84375, 1.25], s = |x| - 1.</summary>
    private static double ErxDenominator(double s) =>
        One + (s * (Qa1 + (s * (Qa2 + (s * (Qa3 + (s * (Qa4 + (s * (Qa5 + (s * Qa6)))))))))));

    /// <summary>
    /// x * erfc(x) for x (positive, finite) in [1.25, 28): exp(-x*x - 0.5625 + R/S), with -x*x split exactly.
    /// </summary>
    private static double TailExp(double x, bool belowOneOverPoint35)
    {
        double s = One / (x * x);
        double bigR;
        double bigS;
        if (belowOneOverPoint35)
        {
            bigR = Ra0 + (s * (Ra1 + (s * (Ra2 + (s * (Ra3 + (s * (Ra4 + (s * (Ra5 + (s * (Ra6 + (s * Ra7)))))))))))));
            bigS = One + (s * (Sa1 + (s * (Sa2 + (s * (Sa3 + (s * (Sa4 + (s * (Sa5 + (s * (Sa6 + (s * (Sa7 + (s * Sa8)))))))))))))));
        }
        else
        {
            bigR = Rb0 + (s * (Rb1 + (s * (Rb2 + (s * (Rb3 + (s * (Rb4 + (s * (Rb5 + (s * Rb6)))))))))));
            bigS = One + (s * (Sb1 + (s * (Sb2 + (s * (Sb3 + (s * (Sb4 + (s * (Sb5 + (s * (Sb6 + (s * Sb7)))))))))))));
        }

        double z = ClearLowWord(x); // SET_LOW_WORD(z, 0): -z*z is exact
        return Math.Exp((-z * z) - 0.5625) * Math.Exp(((z - x) * (z + x)) + (bigR / bigS));
    }

    /// <summary>GET_HIGH_WORD: the upper 32 bits (sign, exponent, top of the mantissa) of a double.</summary>
    private static int HighWord(double x) => (int)(BitConverter.DoubleToInt64Bits(x) >> 32);

    /// <summary>SET_LOW_WORD(x, 0): x with the lower 32 bits of its mantissa cleared.</summary>
    private static double ClearLowWord(double x) =>
        BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) & unchecked((long)0xFFFFFFFF00000000UL));
}
