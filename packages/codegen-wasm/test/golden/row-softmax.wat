(module
 (type $0 (func (param i32 i32 i32)))
 (type $1 (func (param i32)))
 (import "kiln" "memory" (memory $memory 1 65536))
 (export "entry" (func $entry))
 (func $fused_rows_0 (param $0 i32) (param $1 i32) (param $2 i32)
  (local $3 i32)
  (local $4 v128)
  (local $5 i32)
  (local $6 v128)
  (local $7 f32)
  (local $8 v128)
  (local.set $3
   (i32.const 0)
  )
  (loop $next3
   (block $exit3
    (block
     (br_if $exit3
      (i32.ge_s
       (local.get $3)
       (i32.const 4)
      )
     )
     (local.set $4
      (f32x4.splat
       (f32.const -inf)
      )
     )
     (local.set $7
      (f32.const -inf)
     )
     (block
      (local.set $5
       (i32.const 0)
      )
      (loop $next0
       (block $exit0
        (block
         (br_if $exit0
          (i32.ge_s
           (local.get $5)
           (i32.const 8)
          )
         )
         (local.set $4
          (f32x4.max
           (local.get $4)
           (v128.load align=4
            (i32.add
             (i32.add
              (i32.shl
               (local.get $3)
               (i32.const 5)
              )
              (local.get $1)
             )
             (i32.shl
              (local.get $5)
              (i32.const 2)
             )
            )
           )
          )
         )
         (local.set $5
          (i32.add
           (local.get $5)
           (i32.const 4)
          )
         )
         (br $next0)
        )
       )
      )
     )
     (local.set $8
      (f32x4.splat
       (f32.max
        (local.get $7)
        (f32.max
         (f32.max
          (f32x4.extract_lane 0
           (local.get $4)
          )
          (f32x4.extract_lane 1
           (local.get $4)
          )
         )
         (f32.max
          (f32x4.extract_lane 2
           (local.get $4)
          )
          (f32x4.extract_lane 3
           (local.get $4)
          )
         )
        )
       )
      )
     )
     (local.set $4
      (f32x4.splat
       (f32.const 0)
      )
     )
     (local.set $7
      (f32.const 0)
     )
     (block
      (local.set $5
       (i32.const 0)
      )
      (loop $next1
       (block $exit1
        (block
         (br_if $exit1
          (i32.ge_s
           (local.get $5)
           (i32.const 8)
          )
         )
         (local.set $4
          (f32x4.add
           (local.get $4)
           (local.tee $6
            (block (result v128)
             (local.set $6
              (f32x4.nearest
               (f32x4.mul
                (local.tee $4
                 (f32x4.min
                  (f32x4.max
                   (f32x4.sub
                    (v128.load align=4
                     (i32.add
                      (i32.add
                       (i32.shl
                        (local.get $3)
                        (i32.const 5)
                       )
                       (local.get $1)
                      )
                      (i32.shl
                       (local.get $5)
                       (i32.const 2)
                      )
                     )
                    )
                    (local.get $8)
                   )
                   (v128.const i32x4 0xc2d00000 0xc2d00000 0xc2d00000 0xc2d00000)
                  )
                  (v128.const i32x4 0x42b20000 0x42b20000 0x42b20000 0x42b20000)
                 )
                )
                (v128.const i32x4 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b)
               )
              )
             )
             (f32x4.mul
              (f32x4.mul
               (f32x4.add
                (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000)
                (f32x4.add
                 (local.tee $4
                  (f32x4.sub
                   (f32x4.sub
                    (local.get $4)
                    (f32x4.mul
                     (local.get $6)
                     (v128.const i32x4 0x3f318000 0x3f318000 0x3f318000 0x3f318000)
                    )
                   )
                   (f32x4.mul
                    (local.get $6)
                    (v128.const i32x4 0xb95e8083 0xb95e8083 0xb95e8083 0xb95e8083)
                   )
                  )
                 )
                 (f32x4.mul
                  (f32x4.mul
                   (local.get $4)
                   (local.get $4)
                  )
                  (f32x4.add
                   (f32x4.mul
                    (f32x4.add
                     (f32x4.mul
                      (f32x4.add
                       (f32x4.mul
                        (f32x4.add
                         (f32x4.mul
                          (v128.const i32x4 0x3ab50d2f 0x3ab50d2f 0x3ab50d2f 0x3ab50d2f)
                          (local.get $4)
                         )
                         (v128.const i32x4 0x3c091fe9 0x3c091fe9 0x3c091fe9 0x3c091fe9)
                        )
                        (local.get $4)
                       )
                       (v128.const i32x4 0x3d2aac8b 0x3d2aac8b 0x3d2aac8b 0x3d2aac8b)
                      )
                      (local.get $4)
                     )
                     (v128.const i32x4 0x3e2aaa45 0x3e2aaa45 0x3e2aaa45 0x3e2aaa45)
                    )
                    (local.get $4)
                   )
                   (v128.const i32x4 0x3efffffe 0x3efffffe 0x3efffffe 0x3efffffe)
                  )
                 )
                )
               )
               (i32x4.shl
                (i32x4.add
                 (local.tee $6
                  (i32x4.shr_s
                   (local.tee $4
                    (i32x4.trunc_sat_f32x4_s
                     (local.get $6)
                    )
                   )
                   (i32.const 1)
                  )
                 )
                 (v128.const i32x4 0x0000007f 0x0000007f 0x0000007f 0x0000007f)
                )
                (i32.const 23)
               )
              )
              (i32x4.shl
               (i32x4.add
                (i32x4.sub
                 (local.get $4)
                 (local.get $6)
                )
                (v128.const i32x4 0x0000007f 0x0000007f 0x0000007f 0x0000007f)
               )
               (i32.const 23)
              )
             )
            )
           )
          )
         )
         (v128.store align=4
          (i32.add
           (i32.shl
            (local.get $5)
            (i32.const 2)
           )
           (local.get $2)
          )
          (local.get $6)
         )
         (local.set $5
          (i32.add
           (local.get $5)
           (i32.const 4)
          )
         )
         (br $next1)
        )
       )
      )
     )
     (local.set $4
      (f32x4.splat
       (f32.add
        (f32.add
         (f32.add
          (f32x4.extract_lane 0
           (local.get $4)
          )
          (f32x4.extract_lane 1
           (local.get $4)
          )
         )
         (f32.add
          (f32x4.extract_lane 2
           (local.get $4)
          )
          (f32x4.extract_lane 3
           (local.get $4)
          )
         )
        )
        (local.get $7)
       )
      )
     )
     (block
      (local.set $5
       (i32.const 0)
      )
      (loop $next2
       (block $exit2
        (block
         (br_if $exit2
          (i32.ge_s
           (local.get $5)
           (i32.const 8)
          )
         )
         (v128.store align=4
          (i32.add
           (i32.add
            (i32.shl
             (local.get $3)
             (i32.const 5)
            )
            (local.get $0)
           )
           (i32.shl
            (local.get $5)
            (i32.const 2)
           )
          )
          (f32x4.div
           (v128.load align=4
            (i32.add
             (i32.shl
              (local.get $5)
              (i32.const 2)
             )
             (local.get $2)
            )
           )
           (local.get $4)
          )
         )
         (local.set $5
          (i32.add
           (local.get $5)
           (i32.const 4)
          )
         )
         (br $next2)
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
     (br $next3)
    )
   )
  )
 )
 (func $entry (param $0 i32)
  (call $fused_rows_0
   (i32.add
    (local.get $0)
    (i32.const 128)
   )
   (local.get $0)
   (i32.add
    (local.get $0)
    (i32.const 256)
   )
  )
 )
)
