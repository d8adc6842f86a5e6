(module
 (type $0 (func (param i32 i32 i32)))
 (type $1 (func (param i32 i32 i32 i32)))
 (import "kiln" "memory" (memory $memory 1 65536 shared))
 (global $v128_0000b2420000b2420000b2420000b242 (mut v128) (v128.const i32x4 0x42b20000 0x42b20000 0x42b20000 0x42b20000))
 (global $v128_0000b0c20000b0c20000b0c20000b0c2 (mut v128) (v128.const i32x4 0xc2b00000 0xc2b00000 0xc2b00000 0xc2b00000))
 (global $v128_3baab83f3baab83f3baab83f3baab83f (mut v128) (v128.const i32x4 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b))
 (global $v128_7f00404b7f00404b7f00404b7f00404b (mut v128) (v128.const i32x4 0x4b40007f 0x4b40007f 0x4b40007f 0x4b40007f))
 (global $v128_0080313f0080313f0080313f0080313f (mut v128) (v128.const i32x4 0x3f318000 0x3f318000 0x3f318000 0x3f318000))
 (global $v128_83805eb983805eb983805eb983805eb9 (mut v128) (v128.const i32x4 0xb95e8083 0xb95e8083 0xb95e8083 0xb95e8083))
 (global $v128_0000803f0000803f0000803f0000803f (mut v128) (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000))
 (global $v128_9ba12a3e9ba12a3e9ba12a3e9ba12a3e (mut v128) (v128.const i32x4 0x3e2aa19b 0x3e2aa19b 0x3e2aa19b 0x3e2aa19b))
 (global $v128_2600003f2600003f2600003f2600003f (mut v128) (v128.const i32x4 0x3f000026 0x3f000026 0x3f000026 0x3f000026))
 (global $v128_20ee003c20ee003c20ee003c20ee003c (mut v128) (v128.const i32x4 0x3c00ee20 0x3c00ee20 0x3c00ee20 0x3c00ee20))
 (global $v128_7d6f2b3d7d6f2b3d7d6f2b3d7d6f2b3d (mut v128) (v128.const i32x4 0x3d2b6f7d 0x3d2b6f7d 0x3d2b6f7d 0x3d2b6f7d))
 (global $v128_409efa3a409efa3a409efa3a409efa3a (mut v128) (v128.const i32x4 0x3afa9e40 0x3afa9e40 0x3afa9e40 0x3afa9e40))
 (export "entry" (func $entry))
 (func $fused_rows_0 (param $0 i32) (param $1 i32) (param $2 i32)
  (local $3 i32)
  (local $4 i32)
  (local $5 v128)
  (local $6 f32)
  (local $7 i32)
  (local $8 v128)
  (local $9 f32)
  (local $10 f32)
  (local $11 f32)
  (local $12 f32)
  (local $13 v128)
  (local $14 i32)
  (local $15 v128)
  (local $16 f32)
  (local $17 i32)
  (local $18 v128)
  (local $19 v128)
  (local $20 v128)
  (local $21 v128)
  (local $22 v128)
  (local $23 v128)
  (local $24 v128)
  (local $25 v128)
  (local $26 v128)
  (local $27 v128)
  (local $28 v128)
  (local $29 v128)
  (local $30 v128)
  (local $31 v128)
  (local $32 v128)
  (local $33 v128)
  (local $34 v128)
  (local $35 v128)
  (local $36 v128)
  (local $37 v128)
  (local $38 v128)
  (local $39 f32)
  (local $40 f32)
  (local $41 f32)
  (local $42 f32)
  (local $43 v128)
  (local $44 i32)
  (local $45 v128)
  (local $46 i32)
  (local $47 v128)
  (local $48 v128)
  (local $49 v128)
  (local $50 v128)
  (local.set $21
   (global.get $v128_0000b2420000b2420000b2420000b242)
  )
  (local.set $22
   (global.get $v128_0000b0c20000b0c20000b0c20000b0c2)
  )
  (local.set $24
   (global.get $v128_3baab83f3baab83f3baab83f3baab83f)
  )
  (local.set $26
   (global.get $v128_7f00404b7f00404b7f00404b7f00404b)
  )
  (local.set $28
   (global.get $v128_0080313f0080313f0080313f0080313f)
  )
  (local.set $29
   (global.get $v128_83805eb983805eb983805eb983805eb9)
  )
  (local.set $31
   (global.get $v128_0000803f0000803f0000803f0000803f)
  )
  (local.set $33
   (global.get $v128_9ba12a3e9ba12a3e9ba12a3e9ba12a3e)
  )
  (local.set $34
   (global.get $v128_2600003f2600003f2600003f2600003f)
  )
  (local.set $35
   (global.get $v128_20ee003c20ee003c20ee003c20ee003c)
  )
  (local.set $36
   (global.get $v128_7d6f2b3d7d6f2b3d7d6f2b3d7d6f2b3d)
  )
  (local.set $37
   (global.get $v128_409efa3a409efa3a409efa3a409efa3a)
  )
  (block
   (block
    (local.set $3
     (i32.const 0)
    )
    (block $exit4
     (loop $next4
      (br_if $exit4
       (i32.ge_s
        (local.get $3)
        (i32.const 4)
       )
      )
      (local.set $4
       (i32.add
        (local.get $1)
        (i32.mul
         (local.get $3)
         (i32.const 32)
        )
       )
      )
      (local.set $5
       (f32x4.splat
        (f32.const -inf)
       )
      )
      (local.set $6
       (f32.const -inf)
      )
      (block
       (local.set $7
        (i32.const 0)
       )
       (block $exit0
        (loop $next0
         (br_if $exit0
          (i32.ge_s
           (local.get $7)
           (i32.const 8)
          )
         )
         (local.set $8
          (v128.load align=4
           (i32.add
            (local.get $4)
            (i32.mul
             (local.get $7)
             (i32.const 4)
            )
           )
          )
         )
         (local.set $5
          (v128.or
           (f32x4.pmax
            (local.get $5)
            (local.get $8)
           )
           (f32x4.ne
            (local.get $8)
            (local.get $8)
           )
          )
         )
         (local.set $7
          (i32.add
           (local.get $7)
           (i32.const 4)
          )
         )
         (br $next0)
        )
       )
      )
      (local.set $9
       (f32.max
        (f32x4.extract_lane 0
         (local.get $5)
        )
        (f32x4.extract_lane 1
         (local.get $5)
        )
       )
      )
      (local.set $10
       (f32.max
        (f32x4.extract_lane 2
         (local.get $5)
        )
        (f32x4.extract_lane 3
         (local.get $5)
        )
       )
      )
      (local.set $11
       (f32.max
        (local.get $9)
        (local.get $10)
       )
      )
      (local.set $12
       (f32.max
        (local.get $11)
        (local.get $6)
       )
      )
      (local.set $13
       (f32x4.splat
        (local.get $12)
       )
      )
      (local.set $14
       (i32.add
        (local.get $1)
        (i32.mul
         (local.get $3)
         (i32.const 32)
        )
       )
      )
      (local.set $15
       (f32x4.splat
        (f32.const 0)
       )
      )
      (local.set $16
       (f32.const 0)
      )
      (block
       (local.set $17
        (i32.const 0)
       )
       (block $exit1
        (loop $next1
         (br_if $exit1
          (i32.ge_s
           (local.get $17)
           (i32.const 8)
          )
         )
         (local.set $18
          (v128.load align=4
           (i32.add
            (local.get $14)
            (i32.mul
             (local.get $17)
             (i32.const 4)
            )
           )
          )
         )
         (local.set $19
          (f32x4.sub
           (local.get $18)
           (local.get $13)
          )
         )
         (local.set $38
          (block (result v128)
           (local.set $20
            (local.get $19)
           )
           (local.set $23
            (f32x4.pmax
             (f32x4.pmin
              (local.get $20)
              (local.get $21)
             )
             (local.get $22)
            )
           )
           (local.set $25
            (f32x4.floor
             (f32x4.mul
              (local.get $23)
              (local.get $24)
             )
            )
           )
           (local.set $27
            (f32x4.add
             (local.get $25)
             (local.get $26)
            )
           )
           (local.set $30
            (f32x4.sub
             (f32x4.sub
              (local.get $23)
              (f32x4.mul
               (local.get $25)
               (local.get $28)
              )
             )
             (f32x4.mul
              (local.get $25)
              (local.get $29)
             )
            )
           )
           (local.set $32
            (f32x4.mul
             (local.get $30)
             (local.get $30)
            )
           )
           (f32x4.mul
            (f32x4.add
             (local.get $31)
             (f32x4.add
              (f32x4.mul
               (local.get $32)
               (f32x4.add
                (f32x4.mul
                 (f32x4.add
                  (f32x4.mul
                   (local.get $37)
                   (local.get $32)
                  )
                  (f32x4.add
                   (f32x4.mul
                    (local.get $30)
                    (local.get $35)
                   )
                   (local.get $36)
                  )
                 )
                 (local.get $32)
                )
                (f32x4.add
                 (f32x4.mul
                  (local.get $30)
                  (local.get $33)
                 )
                 (local.get $34)
                )
               )
              )
              (local.get $30)
             )
            )
            (i32x4.shl
             (local.get $27)
             (i32.const 23)
            )
           )
          )
         )
         (local.set $15
          (f32x4.add
           (local.get $15)
           (local.get $38)
          )
         )
         (v128.store align=4
          (i32.add
           (local.get $2)
           (i32.mul
            (local.get $17)
            (i32.const 4)
           )
          )
          (local.get $38)
         )
         (local.set $17
          (i32.add
           (local.get $17)
           (i32.const 4)
          )
         )
         (br $next1)
        )
       )
      )
      (local.set $39
       (f32.add
        (f32x4.extract_lane 0
         (local.get $15)
        )
        (f32x4.extract_lane 1
         (local.get $15)
        )
       )
      )
      (local.set $40
       (f32.add
        (f32x4.extract_lane 2
         (local.get $15)
        )
        (f32x4.extract_lane 3
         (local.get $15)
        )
       )
      )
      (local.set $41
       (f32.add
        (local.get $39)
        (local.get $40)
       )
      )
      (local.set $42
       (f32.add
        (local.get $41)
        (local.get $16)
       )
      )
      (local.set $43
       (f32x4.splat
        (local.get $42)
       )
      )
      (local.set $44
       (i32.add
        (local.get $0)
        (i32.mul
         (local.get $3)
         (i32.const 32)
        )
       )
      )
      (local.set $45
       (f32x4.div
        (local.get $31)
        (local.get $43)
       )
      )
      (if
       (i32.and
        (f32.ge
         (f32.abs
          (f32x4.extract_lane 0
           (local.get $43)
          )
         )
         (f32.const 1.1754943508222875e-38)
        )
        (f32.le
         (f32.abs
          (f32x4.extract_lane 0
           (local.get $43)
          )
         )
         (f32.const 8507059173023461586584365e13)
        )
       )
       (then
        (block
         (local.set $46
          (i32.const 0)
         )
         (block $exit2
          (loop $next2
           (br_if $exit2
            (i32.ge_s
             (local.get $46)
             (i32.const 8)
            )
           )
           (local.set $47
            (v128.load align=4
             (i32.add
              (local.get $2)
              (i32.mul
               (local.get $46)
               (i32.const 4)
              )
             )
            )
           )
           (local.set $48
            (f32x4.mul
             (local.get $47)
             (local.get $45)
            )
           )
           (v128.store align=4
            (i32.add
             (local.get $44)
             (i32.mul
              (local.get $46)
              (i32.const 4)
             )
            )
            (local.get $48)
           )
           (local.set $46
            (i32.add
             (local.get $46)
             (i32.const 4)
            )
           )
           (br $next2)
          )
         )
        )
       )
       (else
        (block
         (local.set $46
          (i32.const 0)
         )
         (block $exit3
          (loop $next3
           (br_if $exit3
            (i32.ge_s
             (local.get $46)
             (i32.const 8)
            )
           )
           (local.set $49
            (v128.load align=4
             (i32.add
              (local.get $2)
              (i32.mul
               (local.get $46)
               (i32.const 4)
              )
             )
            )
           )
           (local.set $50
            (f32x4.div
             (local.get $49)
             (local.get $43)
            )
           )
           (v128.store align=4
            (i32.add
             (local.get $44)
             (i32.mul
              (local.get $46)
              (i32.const 4)
             )
            )
            (local.get $50)
           )
           (local.set $46
            (i32.add
             (local.get $46)
             (i32.const 4)
            )
           )
           (br $next3)
          )
         )
        )
       )
      )
      (local.set $3
       (i32.add
        (local.get $3)
        (i32.const 1)
       )
      )
      (br $next4)
     )
    )
   )
  )
 )
 (func $entry (param $0 i32) (param $1 i32) (param $2 i32) (param $3 i32)
  (call $fused_rows_0
   (local.get $3)
   (local.get $2)
   (i32.add
    (local.get $0)
    (i32.const 128)
   )
  )
 )
)
